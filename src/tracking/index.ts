// Public API of src/tracking (filled in by its issue).
export {};
