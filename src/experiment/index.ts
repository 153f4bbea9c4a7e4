// Public API of src/experiment (filled in by its issue).
export {};
