"""Personal data never reaches data/processed or reports/: the scanner finds it, and finds none there."""

import pandas as pd
import pytest

from pipeline.core.privacy import scan


def test_scanner_finds_personnummer_in_every_kind_of_file(tmp_path):
    pd.DataFrame({"fritext": ["ring mig", "min pnr är 19640315-2386"]}).to_parquet(tmp_path / "a.parquet")
    (tmp_path / "b.html").write_text("<p>640315+2386</p>", encoding="utf-8")
    (tmp_path / "c.csv").write_text("id\n6403152386\n", encoding="utf-8")
    (tmp_path / "d.html").write_text('<img src="data:image/png;base64,AAAA/6403152386/BBB=">', encoding="utf-8")
    hits = {(h.path.name, h.text) for h in scan([tmp_path])}
    assert hits == {("a.parquet", "19640315-2386"), ("b.html", "640315+2386"), ("c.csv", "6403152386")}


@pytest.mark.slow
def test_no_personnummer_in_processed_data_or_reports(published_project, built_2022, built_bilaga3, built_bilaga4,
                                                      register_project):
    assert (register_project.processed / "register" / "2022" / "deltagare.parquet").is_file()
    hits = scan([published_project.processed, published_project.reports])
    assert hits == [], [f"{h.path}: {h.text}" for h in hits]
