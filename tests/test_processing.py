"""Processing algorithms, run directly on FITS files built by ``tests/fitsfactory`` with known
content: the numbers must match numpy/astropy on the same arrays, images must decode at the
requested size, injected stars must be found, and broken or oversize inputs must fail with a
clear reason before any data is loaded."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from astropy.io import fits
from astropy.stats import sigma_clipped_stats
from astropy.table import Table
from astropy.wcs import WCS
from PIL import Image

from jwstdata.errors import ValidationError
from jwstdata.models import DataType, JwstDataModel
from jwstdata.processing import (
    AlgorithmInput,
    AlgorithmOutput,
    Limits,
    ProcessingError,
    get_algorithm,
    list_algorithms,
)
from jwstdata.processing import data as processing_data
from jwstdata.processing.registry import json_safe, params_hash
from tests import fitsfactory as ff

STARS = [(40.3, 52.7, 8000.0), (150.0, 90.0, 20000.0), (100.6, 160.2, 12000.0)]


def record_for(path: Path, data_type: DataType | None = None) -> JwstDataModel:
    name = path.name
    if data_type is None:
        data_type = DataType.spectral if "_x1d" in name else DataType.image
    fmt = "fits.gz" if name.endswith(".gz") else "fits"
    return JwstDataModel(file_name=name, data_type=data_type, file_format=fmt)


def run(
    name: str,
    path: Path,
    params: dict[str, Any] | None = None,
    *,
    max_pixels: int = 10_000_000,
    record: JwstDataModel | None = None,
) -> AlgorithmOutput:
    algorithm = get_algorithm(name)
    return algorithm.run(
        AlgorithmInput(
            path=path,
            record=record or record_for(path),
            params=algorithm.parse_params(params or {}),
            limits=Limits(max_pixels=max_pixels),
        )
    )


def set_dq(path: Path, dq: np.ndarray) -> None:
    with fits.open(path, mode="update") as hdul:
        hdul["DQ"].data[...] = dq


def decode(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    image.load()
    assert image.format == "PNG"
    return image


@pytest.fixture(scope="module")
def messy(tmp_path_factory) -> dict[str, Any]:
    """A 60x80 cal image with NaN, inf, DQ-flagged (DO_NOT_USE and JUMP) pixels."""
    rng = np.random.default_rng(7)
    data = rng.normal(10.0, 2.0, (60, 80)).astype(np.float32)
    data[5, 5] = 500.0  # an outlier for sigma clipping
    data[0, :7] = np.nan
    data[1, :3] = np.inf
    data[2, 0] = -np.inf
    dq = np.zeros(data.shape, np.uint32)
    dq[10, :20] = 1  # DO_NOT_USE
    dq[11, :5] = 1 | 4
    dq[12, :9] = 4  # JUMP_DET only: still usable by default
    dq[0, 0] = 1  # a NaN pixel that is also flagged
    path = ff.write_product(tmp_path_factory.mktemp("messy"), "cal", data=data, dq=True)
    set_dq(path, dq)
    return {"path": path, "data": data, "dq": dq}


# --- registry ----------------------------------------------------------------------------


def test_list_algorithms_describes_each():
    listed = {entry["name"]: entry for entry in list_algorithms()}
    assert set(listed) == {"statistics", "preview", "histogram", "sources", "spectrum", "cutout"}
    for entry in listed.values():
        assert entry["version"]
        assert entry["params"]["type"] == "object"
        assert entry["params"]["additionalProperties"] is False
        assert entry["accepts"]["formats"]
    assert "maxSize" in listed["preview"]["params"]["properties"]
    assert listed["spectrum"]["accepts"]["suffixes"] == ["c1d", "x1d", "x1dints"]
    assert [p["format"] for p in listed["preview"]["produces"]] == ["png", "png"]
    assert listed["sources"]["produces"][0]["dataType"] == "metadata"
    json.dumps(listed)  # the CLI prints it as JSON


def test_unknown_algorithm_is_a_validation_error():
    with pytest.raises(ValidationError, match="unknown algorithm 'nope'"):
        get_algorithm("nope")


def test_params_refuse_unknown_keys_and_bad_values():
    preview = get_algorithm("preview")
    with pytest.raises(ProcessingError) as caught:
        preview.parse_params({"maxSize": 10, "colour": "red"})
    assert caught.value.reason == "bad_parameters"
    assert caught.value.code == "processing_failed"
    fields = {d["field"] for d in caught.value.details}
    assert fields == {"maxSize", "colour"}
    parsed = preview.parse_params({"max_size": 300, "stretch": "asinh"})  # snake case too
    assert parsed.to_json()["maxSize"] == 300


def test_params_hash_is_stable_and_parameter_sensitive():
    preview = get_algorithm("preview")
    a = params_hash("preview", preview.parse_params({}))
    assert a == params_hash("preview", preview.parse_params({"maxSize": 1024}))
    assert a != params_hash("preview", preview.parse_params({"maxSize": 512}))
    assert a != params_hash("statistics", preview.parse_params({}))


def test_accepts_by_data_type_suffix_and_format(tmp_path):
    cal = JwstDataModel(file_name="jw02733001001_02101_00001_nrcalong_cal.fits", data_type="image")
    x1d = JwstDataModel(file_name="jw02733001001_02101_00001_nrs1_x1d.fits", data_type="spectral")
    png = JwstDataModel(file_name="jw02733001001_02101_00001_nrcalong_cal.png", data_type="image")
    asn = JwstDataModel(
        file_name="jw02733-o001_20220713t004107_image3_00001_asn.json", data_type="metadata"
    )
    uncal = JwstDataModel(
        file_name="jw02733001001_02101_00001_nrcalong_uncal.fits", data_type="raw"
    )
    accepts = {
        name: [get_algorithm(name).accepts(r) for r in (cal, x1d, png, asn, uncal)]
        for name in ("statistics", "preview", "histogram", "sources", "spectrum")
    }
    assert accepts == {
        "statistics": [True, False, False, False, True],
        "preview": [True, False, False, False, True],
        "histogram": [True, False, False, False, True],
        "sources": [True, False, False, False, False],
        "spectrum": [False, True, False, False, False],
    }
    with pytest.raises(ProcessingError, match="tables, not images") as caught:
        get_algorithm("statistics").check_accepts(x1d)
    assert caught.value.reason == "unsupported_input"


def test_json_safe_turns_nan_and_numpy_into_plain_values():
    value = {"a": np.float32(np.nan), "b": [np.int64(3), np.inf], "c": np.array([1.5, np.nan])}
    assert json_safe(value) == {"a": None, "b": [3, None], "c": [1.5, None]}
    assert type(json_safe(np.float32(2.5))) is float


# --- statistics --------------------------------------------------------------------------


def test_statistics_match_numpy_with_dq_mask_and_bad_values(messy):
    data, dq = messy["data"], messy["dq"]
    results = run("statistics", messy["path"]).results
    valid = np.isfinite(data) & ((dq & 1) == 0)
    values = data[valid]
    assert results["count"] == data.size
    assert results["nanCount"] == 7
    assert results["infCount"] == 4
    assert results["maskedCount"] == 20 + 5  # the flagged NaN counts as NaN, not masked
    assert results["validCount"] == values.size == data.size - 7 - 4 - 25
    assert results["min"] == pytest.approx(float(values.min()))
    assert results["max"] == pytest.approx(float(values.max())) == 500.0
    assert results["mean"] == pytest.approx(float(values.mean(dtype=np.float64)), rel=1e-9)
    assert results["median"] == pytest.approx(float(np.median(values)))
    assert results["std"] == pytest.approx(float(values.std(dtype=np.float64)), rel=1e-9)
    expected = np.percentile(values, [0.5, 1, 5, 25, 75, 95, 99, 99.5])
    got = [p["value"] for p in results["percentiles"]]
    assert got == pytest.approx(expected.tolist())
    assert [p["q"] for p in results["percentiles"]] == [0.5, 1, 5, 25, 75, 95, 99, 99.5]
    mean, median, std = sigma_clipped_stats(values, sigma=3.0, maxiters=5)
    clipped = results["sigmaClipped"]
    assert clipped["mean"] == pytest.approx(mean)
    assert clipped["median"] == pytest.approx(median)
    assert clipped["std"] == pytest.approx(std)
    assert clipped["mean"] < results["mean"]  # the 500 outlier is clipped away
    assert results["dqUsed"] is True
    assert results["unit"] == "MJy/sr"
    json.dumps(results, allow_nan=False)


def test_statistics_dq_bits_are_a_parameter(messy):
    data, dq = messy["data"], messy["dq"]
    every_flag = run("statistics", messy["path"], {"dqMaskBits": -1}).results
    assert every_flag["validCount"] == int((np.isfinite(data) & (dq == 0)).sum())
    ignore_dq = run("statistics", messy["path"], {"dqMaskBits": 0}).results
    assert ignore_dq["validCount"] == int(np.isfinite(data).sum())
    assert ignore_dq["dqUsed"] is False
    custom = run("statistics", messy["path"], {"percentiles": [50], "sigma": 2.5}).results
    assert custom["percentiles"] == [{"q": 50, "value": pytest.approx(custom["median"])}]
    assert custom["sigmaClipped"]["sigma"] == 2.5


def test_statistics_of_gzip_equal_plain(messy, tmp_path):
    gz = ff.gzip_copy(messy["path"], tmp_path / (messy["path"].name + ".gz"))
    plain = run("statistics", messy["path"]).results
    assert run("statistics", gz).results == plain


def test_statistics_over_every_plane_of_a_cube(tmp_path):
    cube = np.arange(2 * 8 * 6, dtype=np.float32).reshape(2, 8, 6)
    path = ff.write_product(tmp_path, "calints", data=cube)
    results = run("statistics", path).results
    assert results["shape"] == [2, 8, 6]
    assert results["count"] == cube.size
    assert results["mean"] == pytest.approx(float(cube.mean()))


def test_statistics_scaled_integer_data(tmp_path):
    """uint16 raw ramps (BZERO=32768) are read as their true values."""
    path = ff.write_product(tmp_path, "uncal", shape=(1, 3, 16, 16), seed=3)
    with fits.open(path) as hdul:
        expected = np.asarray(hdul["SCI"].data, dtype=np.float64)
    results = run("statistics", path, record=record_for(path, DataType.raw)).results
    assert results["min"] == expected.min() and results["max"] == expected.max()
    assert results["mean"] == pytest.approx(expected.mean())


def test_statistics_all_invalid_fails_clearly(tmp_path):
    path = ff.write_product(tmp_path, "cal", data=np.full((8, 8), np.nan, np.float32))
    with pytest.raises(ProcessingError, match="no valid pixels") as caught:
        run("statistics", path)
    assert caught.value.reason == "no_valid_data"


# --- histogram ---------------------------------------------------------------------------


def test_histogram_counts_sum_to_valid_pixels(messy):
    data, dq = messy["data"], messy["dq"]
    values = data[np.isfinite(data) & ((dq & 1) == 0)]
    results = run("histogram", messy["path"], {"bins": 50}).results
    assert len(results["counts"]) == 50 and len(results["edges"]) == 51
    assert sum(results["counts"]) == results["validCount"] == values.size
    counts, edges = np.histogram(values, bins=50, range=(values.min(), values.max()))
    assert results["counts"] == counts.tolist()
    assert results["edges"] == pytest.approx(edges.tolist())
    assert results["belowRange"] == results["aboveRange"] == 0


def test_histogram_log_bins_and_explicit_range(tmp_path):
    data = np.concatenate([np.logspace(-2, 3, 90), [0.0, -1.0, -5.0], [np.nan] * 3])
    path = ff.write_product(tmp_path, "cal", data=data.reshape(8, 12).astype(np.float32))
    log = run("histogram", path, {"scale": "log", "bins": 10}).results
    assert log["nonPositive"] == 3
    assert sum(log["counts"]) + log["nonPositive"] == log["validCount"] == 93
    assert log["edges"][0] == pytest.approx(0.01, rel=1e-5)
    assert log["edges"][-1] == pytest.approx(1000.0, rel=1e-5)
    assert np.allclose(np.diff(np.log10(log["edges"])), 0.5, rtol=1e-4)
    ranged = run("histogram", path, {"rangeMin": 0.0, "rangeMax": 10.0, "bins": 5}).results
    inside = data[np.isfinite(data)]
    assert ranged["belowRange"] == int((inside < 0).sum()) == 2
    assert ranged["aboveRange"] == int((inside > 10).sum())
    assert sum(ranged["counts"]) == int(((inside >= 0) & (inside <= 10)).sum())
    with pytest.raises(ProcessingError, match="positive range"):
        run("histogram", path, {"scale": "log", "rangeMin": -1.0})


# --- preview -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def galaxy(tmp_path_factory) -> Path:
    data = ff.stars((200, 300), STARS, background=1.0, fwhm=4.0)
    data += np.random.default_rng(1).normal(0, 0.05, data.shape).astype(np.float32)
    data[150:160, 10:20] = np.nan
    return ff.write_product(tmp_path_factory.mktemp("galaxy"), "i2d", data=data)


@pytest.mark.parametrize("stretch", ["linear", "sqrt", "log", "asinh"])
@pytest.mark.parametrize("interval", ["zscale", "percentile", "minmax"])
def test_preview_each_stretch_and_interval_decodes_at_the_requested_size(galaxy, stretch, interval):
    out = run("preview", galaxy, {"maxSize": 120, "stretch": stretch, "interval": interval})
    preview, thumb = out.outputs
    assert (preview.role, thumb.role) == ("preview", "thumbnail")
    image = decode(preview.content)
    assert image.size == (120, 80) == (preview.width, preview.height)
    assert image.mode == "L"
    assert decode(thumb.content).size == (256, 171)  # source is 300x200: never enlarged beyond
    pixels = np.asarray(image)
    assert pixels.max() > pixels.min()  # not a blank picture
    assert out.results["stretch"] == stretch and out.results["interval"] == interval
    assert preview.name.endswith("_i2d_preview.png") and thumb.name.endswith("_i2d_thumb.png")


@pytest.mark.parametrize("colormap", ["viridis", "magma", "inferno", "plasma", "cividis", "hot"])
def test_preview_colormaps_are_palette_pngs(galaxy, colormap):
    out = run("preview", galaxy, {"colormap": colormap, "thumbnail": False})
    assert len(out.outputs) == 1
    image = decode(out.outputs[0].content)
    assert image.mode == "P"
    assert image.size == (300, 200)  # smaller than maxSize: kept as is
    rgb = np.asarray(image.convert("RGB"))
    assert len(np.unique(rgb.reshape(-1, 3), axis=0)) > 10


def test_preview_is_bounded_and_keeps_orientation(tmp_path):
    data = np.zeros((600, 2000), np.float32)
    data[:60] = 100.0  # FITS row 0 is the bottom of the sky image
    path = ff.write_product(tmp_path, "i2d", data=data)
    out = run("preview", path, {"interval": "minmax"})
    preview = decode(out.outputs[0].content)
    assert preview.size == (1024, 307)
    pixels = np.asarray(preview)
    assert pixels[-1].min() == 255 and pixels[0].max() == 0
    assert decode(out.outputs[1].content).size == (256, 77)


def test_preview_nan_pixels_are_black(tmp_path):
    data = np.full((40, 40), 5.0, np.float32)
    data[:20] = 10.0
    data[30:, 30:] = np.nan
    path = ff.write_product(tmp_path, "cal", data=data)
    pixels = np.asarray(decode(run("preview", path, {"interval": "minmax"}).outputs[0].content))
    assert pixels[:10, 30:].max() == 0  # NaN corner (top right after the flip)
    assert pixels[25:, :10].min() == 255  # bright rows 0-19 at the bottom


def test_preview_of_a_cube_plane(tmp_path):
    cube = np.zeros((3, 16, 16), np.float32)
    cube[1, :, :8] = 1.0
    path = ff.write_product(tmp_path, "calints", data=cube)
    first = np.asarray(decode(run("preview", path, {"interval": "minmax"}).outputs[0].content))
    assert first.max() == 0  # plane 0 is flat
    second = run("preview", path, {"interval": "minmax", "plane": 1})
    pixels = np.asarray(decode(second.outputs[0].content))
    assert pixels[:, :8].min() == 255 and pixels[:, 8:].max() == 0
    with pytest.raises(ProcessingError, match="plane 5 is out of range") as caught:
        run("preview", path, {"plane": 5})
    assert caught.value.reason == "bad_parameters"


# --- sources -----------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["daofind", "segmentation"])
def test_sources_finds_injected_stars_with_sky_positions(galaxy, method):
    out = run("sources", galaxy, {"method": method, "fwhm": 4.0, "boxSize": 50})
    assert out.results["count"] == len(STARS)
    catalog = Table.read(io.BytesIO(out.outputs[0].content).read().decode(), format="ascii.ecsv")
    assert catalog.colnames == ["id", "x", "y", "flux", "peak", "ra", "dec"]
    assert list(catalog["flux"]) == sorted(catalog["flux"], reverse=True)
    wcs = WCS(fits.getheader(galaxy, "SCI"))
    for x, y, _ in STARS:
        distance = np.hypot(catalog["x"] - x, catalog["y"] - y)
        row = catalog[int(np.argmin(distance))]
        assert distance.min() < 1.0
        ra, dec = wcs.pixel_to_world_values(row["x"], row["y"])
        assert row["ra"] == pytest.approx(float(ra), abs=1e-9)
        assert row["dec"] == pytest.approx(float(dec), abs=1e-9)
    brightest = out.results["brightest"][0]
    assert (brightest["x"], brightest["y"]) == pytest.approx((150.0, 90.0), abs=1.0)
    assert out.results["hasWcs"] is True
    assert out.outputs[0].data_type is DataType.metadata and out.outputs[0].format == "ecsv"
    assert catalog.meta["source_file"] == galaxy.name


def test_sources_respect_the_dq_mask_and_max_sources(tmp_path):
    data = ff.stars((120, 120), [STARS[0], (90.0, 30.0, 9000.0)], background=2.0)
    data += np.random.default_rng(2).normal(0, 0.05, data.shape).astype(np.float32)
    path = ff.write_product(tmp_path, "cal", data=data, dq=True)
    dq = np.zeros(data.shape, np.uint32)
    dq[20:40, 80:100] = 1  # hides the star at (90, 30)
    set_dq(path, dq)
    found = run("sources", path, {"boxSize": 40}).results
    assert found["count"] == 1
    assert (found["brightest"][0]["x"], found["brightest"][0]["y"]) == pytest.approx(
        (40.3, 52.7), abs=1.0
    )
    unmasked = run("sources", path, {"boxSize": 40, "dqMaskBits": 0, "maxSources": 1}).results
    assert unmasked["detected"] == 2 and unmasked["count"] == 1 and unmasked["truncated"]


def test_sources_without_wcs_have_nan_sky_positions(tmp_path):
    data = ff.stars((64, 64), [(30.0, 30.0, 5000.0)], background=1.0)
    data += np.random.default_rng(3).normal(0, 0.05, data.shape).astype(np.float32)
    path = ff.write_product(tmp_path, "rate", data=data, wcs=False)
    out = run("sources", path, {"boxSize": 32}, record=record_for(path, DataType.sensor))
    assert out.results["hasWcs"] is False
    catalog = Table.read(out.outputs[0].content.decode(), format="ascii.ecsv")
    assert len(catalog) == 1 and np.isnan(catalog["ra"][0])
    assert out.results["brightest"][0]["ra"] is None  # NaN is stored as null


# --- spectrum ----------------------------------------------------------------------------


def test_spectrum_range_statistics_and_plot(tmp_path):
    columns = ff.spectrum_columns((2.9, 5.2), 200, seed=4)
    flux = columns["FLUX"][0].copy()
    flux[:5] = np.nan
    dq = np.zeros(200, np.int32)
    dq[-10:] = 1
    columns["FLUX"] = (flux, "Jy")
    columns["DQ"] = (dq, None)
    path = ff.write_product(tmp_path, "x1d", instrument="NIRSPEC", columns=columns)
    out = run("spectrum", path, {"width": 640, "height": 320})
    results = out.results
    wave = columns["WAVELENGTH"][0]
    good = np.isfinite(flux) & (dq == 0)
    assert results["points"] == 200 and results["validPoints"] == int(good.sum()) == 185
    assert results["wavelengthMin"] == pytest.approx(wave[good].min())
    assert results["wavelengthMax"] == pytest.approx(wave[good].max())
    assert results["flux"]["mean"] == pytest.approx(flux[good].mean())
    assert results["flux"]["median"] == pytest.approx(np.median(flux[good]))
    assert results["wavelengthUnit"] == "um" and results["fluxUnit"] == "Jy"
    assert results["spectraAvailable"] == 1
    plot = out.outputs[0]
    assert decode(plot.content).size == (640, 320)
    assert plot.data_type is DataType.image and plot.is_viewable
    assert plot.name.endswith("_x1d_spectrum.png")


def test_spectrum_picks_one_of_several_tables(tmp_path):
    path = ff.write_product(tmp_path, "x1dints", instrument="NIRSPEC", nints=3)
    record = record_for(path, DataType.spectral)
    assert run("spectrum", path, {"spectrum": 3}, record=record).results["spectraAvailable"] == 3
    with pytest.raises(ProcessingError, match="spectrum 4 does not exist"):
        run("spectrum", path, {"spectrum": 4}, record=record)


def test_spectrum_of_an_image_fails_clearly(tmp_path):
    path = ff.write_product(tmp_path, "cal")
    record = JwstDataModel(
        file_name="jw02733001001_02101_00001_nrs1_x1d.fits", data_type="spectral"
    )
    with pytest.raises(ProcessingError, match="no spectrum table") as caught:
        run("spectrum", path, record=record)
    assert caught.value.reason == "not_a_spectrum"


# --- limits and broken files -------------------------------------------------------------


def test_oversize_input_fails_before_loading(tmp_path, monkeypatch):
    huge = ff.write_huge(tmp_path / "jw02733001001_02101_00001_nrcalong_cal.fits", (20000, 20000))

    def no_data(*args, **kwargs):
        raise AssertionError("data must not be opened for an oversize file")

    monkeypatch.setattr(processing_data.fits, "open", no_data)
    for name in ("statistics", "preview", "histogram", "sources"):
        with pytest.raises(ProcessingError, match="more than the limit") as caught:
            run(name, huge, max_pixels=50_000_000)
        assert caught.value.reason == "oversize"
        assert caught.value.details == {"pixels": 400_000_000, "maxPixels": 50_000_000}


def test_oversize_gzip_fails_before_decompressing_the_data(tmp_path, monkeypatch):
    plain = ff.write_product(tmp_path / "big_cal.fits", "cal", shape=(600, 600), extras=False)
    gz = ff.gzip_copy(plain)
    monkeypatch.setattr(processing_data.fits, "open", None)  # any use would fail loudly
    with pytest.raises(ProcessingError, match="360,000 values") as caught:
        run("statistics", gz, max_pixels=100_000, record=record_for(gz))
    assert caught.value.reason == "oversize"


def test_oversize_spectrum_table(tmp_path):
    path = ff.write_product(tmp_path, "x1d", instrument="NIRSPEC", nrows=500)
    with pytest.raises(ProcessingError, match="more than the limit") as caught:
        run("spectrum", path, max_pixels=1000)
    assert caught.value.reason == "oversize"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda src, dst: ff.write_truncated(src, dst, at="sci-data"), "truncated FITS file"),
        (lambda src, dst: ff.write_truncated(src, dst, at="sci-header"), "truncated FITS file"),
        (lambda src, dst: ff.write_not_fits(dst, "html"), "not a FITS file"),
        (lambda src, dst: ff.write_not_fits(dst, "empty"), "empty file"),
        (lambda src, dst: ff.write_corrupt(dst, "bad_naxis"), "corrupt FITS header"),
        (lambda src, dst: ff.write_corrupt(dst, "gzip"), "gzip"),
    ],
)
def test_corrupt_inputs_fail_cleanly(tmp_path, make, message):
    source = ff.write_product(tmp_path / "good.fits", "cal", shape=(64, 64))
    broken = make(source, tmp_path / "jw02733001001_02101_00001_nrcalong_cal.fits")
    for name in ("statistics", "preview"):
        with pytest.raises(ProcessingError, match=message) as caught:
            run(name, broken)
        assert caught.value.reason == "corrupt"
        assert broken.name in caught.value.message


def test_truncated_gzip_fails_cleanly(tmp_path):
    source = ff.write_product(tmp_path / "good.fits", "cal", shape=(128, 128), extras=False)
    gz = ff.gzip_copy(source)
    cut = tmp_path / "jw02733001001_02101_00001_nrcalong_cal.fits.gz"
    cut.write_bytes(gz.read_bytes()[: gz.stat().st_size // 2])
    with pytest.raises(ProcessingError) as caught:
        run("statistics", cut)
    assert caught.value.reason == "corrupt"


def test_file_without_sci_image(tmp_path):
    x1d = ff.write_product(tmp_path, "x1d", instrument="NIRSPEC")
    with pytest.raises(ProcessingError, match="no SCI image extension") as caught:
        run("statistics", x1d, record=record_for(x1d, DataType.image))
    assert caught.value.reason == "no_science_data"
    hdul = fits.HDUList([fits.PrimaryHDU(), fits.ImageHDU(np.zeros(10, np.float32), name="SCI")])
    vector = tmp_path / "vector.fits"
    hdul.writeto(vector)
    with pytest.raises(ProcessingError, match="not an image") as caught:
        run("statistics", vector, record=record_for(vector, DataType.image))
    assert caught.value.reason == "not_an_image"


def test_plain_fits_image_in_the_primary_hdu(tmp_path):
    path = tmp_path / "plain.fits"
    fits.PrimaryHDU(np.arange(12, dtype=np.float32).reshape(3, 4)).writeto(path)
    results = run("statistics", path, record=record_for(path, DataType.image)).results
    assert results["extension"] == "PRIMARY" and results["max"] == 11.0
