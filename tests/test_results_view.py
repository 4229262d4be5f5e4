"""Processing results as the pages show them: labels, numbers with units, tables."""

from __future__ import annotations

from jwstdata.web.results_view import label, parameters_text, result_view


def test_values_get_labels_and_the_image_unit() -> None:
    view = result_view(
        {
            "extension": "SCI",
            "shape": [64, 96],
            "unit": "MJy/sr",
            "validCount": 6144,
            "mean": 0.123456789,
            "max": 41234.5,
            "background": {"median": 0.3, "rms": 0.012},
            "dqUsed": True,
        }
    )
    rows = dict(view.rows)
    assert rows["Extension"] == "SCI"
    assert rows["Shape"] == "96 \u00d7 64 px"  # width by height, numpy's order reversed
    assert rows["Valid count"] == "6,144"  # a count has no unit
    assert rows["Mean"] == "0.123457 MJy/sr"
    assert rows["Max"] == "41234.5 MJy/sr"
    assert rows["Background: median"] == "0.3 MJy/sr"
    assert rows["Dq used"] == "yes"
    assert rows["Unit"] == "MJy/sr"
    assert view.tables == []


def test_rows_of_objects_are_a_table_with_units_in_the_header() -> None:
    brightest = [{"x": 20.0, "y": 30.5, "flux": 4e4, "ra": 151.75, "dec": -40.43}] * 60
    view = result_view({"unit": "MJy/sr", "brightest": brightest})
    (table,) = view.tables
    assert table.label == "Brightest"
    assert table.columns == ["x", "y", "Flux (MJy/sr)", "RA (°)", "Dec (°)"]
    assert table.rows[0] == ["20", "30.5", "40000", "151.75", "-40.43"]
    assert len(table.rows) == 50 and table.more == 10


def test_long_lists_are_summarised_and_nothing_is_a_python_literal() -> None:
    view = result_view({"counts": list(range(100)), "edges": [0.5, 1.5], "note": None})
    rows = dict(view.rows)
    assert rows["Counts"] == "100 values, 0 to 99"
    assert rows["Edges"] == "0.5, 1.5"
    assert rows["Note"] == "—"
    assert all("[" not in v and "{" not in v for v in rows.values())
    assert result_view({}).empty


def test_labels_and_parameters() -> None:
    assert label("nanCount") == "Nan count"
    assert label("dq_mask_bits") == "Dq mask bits"
    assert parameters_text({}) == "defaults"
    assert parameters_text({"method": "daofind", "fwhm": 3.0}) == "method daofind, fwhm 3"
