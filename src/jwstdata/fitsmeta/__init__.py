"""FITS header metadata: a header-only reader for JWST products.

- :mod:`~jwstdata.fitsmeta.hdus`: the HDU walk (block reads and seeks, never pixel data) and
  :class:`FitsReadError`, the one error every unreadable file ends in.
- :mod:`~jwstdata.fitsmeta.keywords`: keyword rules (kept keywords, filter representation,
  nominal wavelength, calibration level, BSON-safe values).
- :mod:`~jwstdata.fitsmeta.headers`: the headers an extraction reads, by keyword.
- :mod:`~jwstdata.fitsmeta.blocks`: the ``image_info``/``sensor_info``/``spectral_info`` blocks.
- :mod:`~jwstdata.fitsmeta.extract`: :func:`read_header_metadata` and :class:`HeaderMetadata`.

Import the public names from :mod:`jwstdata.fits`.
"""

from jwstdata.fitsmeta.extract import HeaderMetadata, read_header_metadata
from jwstdata.fitsmeta.hdus import FitsReadError

__all__ = ["FitsReadError", "HeaderMetadata", "read_header_metadata"]
