"""Metadata of JWST FITS files, read from their headers only.

>>> meta = read_header_metadata("jw02733001001_02101_00001_nrcb1_cal.fits", suffix="cal")
>>> meta.image_info.filter, meta.exposure_id
('F187N', 'jw02733001001_02101_00001')

Unreadable files (missing, empty, not FITS, truncated, corrupt) raise :class:`FitsReadError`
(a :class:`jwstdata.errors.ValidationError`, code ``invalid_fits``). The rules are documented
in :mod:`jwstdata.fitsmeta` (``hdus`` for errors and truncation, ``keywords`` for the
filter representation, wavelengths and calibration levels, ``extract`` for the blocks).
"""

from jwstdata.fitsmeta import FitsReadError, HeaderMetadata, read_header_metadata

__all__ = ["FitsReadError", "HeaderMetadata", "read_header_metadata"]
