//! thrust-storage (being built).
