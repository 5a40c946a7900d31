//! Request, response and language codes (REMOTING.md §1.5, §2).
