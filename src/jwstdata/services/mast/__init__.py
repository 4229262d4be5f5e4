"""Importing from MAST: planning, downloading, recording, refreshing metadata."""
