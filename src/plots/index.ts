// Public API of src/plots (filled in by its issue).
export {};
