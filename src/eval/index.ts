// Public API of src/eval (filled in by its issue).
export {};
