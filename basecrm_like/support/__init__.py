"""Small helpers with no knowledge of the API: files, names, key paths, decimals."""
