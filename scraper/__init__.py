"""hmicfrs-archive: versioned archive of HMICFRS recommendations."""
