"""Fixtures shared across test folders: throwaway servers and hostile peers."""
