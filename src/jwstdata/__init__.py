"""jwstdata: catalog, store, import and process JWST data on MongoDB."""

__version__ = "0.1.0"
