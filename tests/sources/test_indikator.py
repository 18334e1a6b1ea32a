"""The indicator questionnaires' descriptions (pipeline/sources/indikator.py): the committed files,
and one clear error per kind of mistake in them."""

from __future__ import annotations

import re
import shutil

import pytest
import yaml

from pipeline.core.errors import ConfigError
from pipeline.sources import indikator

from ..conftest import REPO

RAW = REPO / "data" / "raw" / "indikator"
YEARS = list(range(2017, 2023))


def test_the_committed_indicators_are_the_instrument_s_shape():
    indicators = indikator.load_indicators(RAW)
    assert list(indicators) == [f"I{n:02d}" for n in range(1, 17)]
    core = [i for i in indicators.values() if i.id != "I16"]
    assert sum(i.kind == "process" for i in core) == 10 and sum(i.kind == "effekt" for i in core) == 5
    assert {i.level for i in indicators.values()} == set(indikator.LEVELS)
    assert indicators["I16"].from_year == 2021 and all(i.from_year == 2017 for i in core)
    assert sum(len(i.points) for i in indicators.values()) == 26


def test_every_measurement_point_is_measured_once_in_every_year_it_exists():
    indicators, descriptions = indikator.load_descriptions(RAW, YEARS)
    for year, d in descriptions.items():
        measured = [q.point for qn in d.questionnaires.values() for q in qn.scale_questions]
        expected = [p.id for i in indicators.values() if i.from_year <= year for p in i.points]
        assert sorted(measured) == sorted(expected), year
        assert set(d.questionnaires) == set(indikator.QUESTIONNAIRES) and d.synthetic


def test_the_declared_changes_are_in_the_question_table():
    indicators, descriptions = indikator.load_descriptions(RAW, YEARS)
    table = indikator.question_table(descriptions, indicators)
    broken = table[table["bruten_serie"]]
    assert broken[["year", "fraga", "matpunkt", "forandring"]].values.tolist() == [
        [2020, "da_formaga", "I14.1", "omformulerad"]]
    added = table[table["forandring"] == "tillagd"]
    assert sorted(added["matpunkt"]) == ["I16.1", "I16.2"] and set(added["year"]) == {2021}


def test_scale_labels_compare_without_case_or_spacing():
    d = indikator.load_description(RAW / "2017", indikator.load_indicators(RAW))
    scale = d.scales["instammer"]
    assert scale.position(" instämmer  HELT ") == 5 and scale.position("Instämmer") is None
    assert scale.is_vet_ej("vet ej") and scale.is_vet_ej("VET  EJ") and not scale.is_vet_ej("Vet inte")
    assert scale.positive_positions == frozenset({4, 5})


# --------------------------------------------------------------------------- mistakes
def _copy(tmp_path):
    target = tmp_path / "indikator"
    shutil.copytree(RAW, target, ignore=shutil.ignore_patterns("sanning.json", "svar"))
    return target


def _edit(folder, year, change):
    path = folder / str(year) / indikator.DESCRIPTION_FILE
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(spec)
    path.write_text(yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _questions(spec, enkat):
    return spec["enkater"][enkat]["questions"]


def _q(spec, qid):
    return next(q for e in spec["enkater"].values() for q in e["questions"] if q["id"] == qid)


MISTAKES = [
    ("typo_in_a_key", 2018, lambda s: s["enkater"]["chefer"].update(gruppp=s["enkater"]["chefer"].pop("grupp")),
     r"chefer: grupp missing"),
    ("unknown_key_names_its_likely_key", 2018, lambda s: _q(s, "ch_behov").update(indicatr="I01"),
     r"unknown key 'indicatr' \(did you mean indicator\?\)"),
    ("unknown_questionnaire", 2018, lambda s: s["enkater"].update(deltagare_pagande=s["enkater"].pop("deltagare_pagaende")),
     r"unknown questionnaire \(did you mean deltagare_pagaende\?\)"),
    ("wrong_group", 2018, lambda s: s["enkater"]["styrelse"].update(grupp="chefer"), r"styrelse is answered by styrelse"),
    ("point_of_another_indicator", 2018, lambda s: _q(s, "ch_behov").update(point="I02.2"),
     r"'I02.2' is not a measurement point of I01"),
    ("point_measured_twice", 2018, lambda s: _q(s, "ch_forankring").update(indicator="I01", point="I01.2"),
     r"I01.2 is already measured by ch_behov"),
    ("indicator_before_its_first_year", 2020, lambda s: _questions(s, "chefer").append(
        {"id": "ch_jamlikhet", "text": "x", "indicator": "I16", "point": "I16.2", "scale": "instammer", "added": 2020}),
     r"I16 is measured from 2021"),
    ("unknown_scale", 2018, lambda s: _q(s, "ch_behov").update(scale="femgradig"), r"unknown scale 'femgradig'"),
    ("positive_label_not_on_the_scale", 2018, lambda s: s["scales"]["grad"].update(positive=["Helt"]),
     r"scales.grad.positive: a non-empty list of labels"),
    ("every_label_positive", 2018, lambda s: s["scales"]["grad"].update(positive=s["scales"]["grad"]["labels"]),
     r"every label is positive"),
    ("vet_ej_also_a_label", 2018, lambda s: s["scales"]["grad"].update(vet_ej=["inte alls"]), r"is also a label"),
    ("label_twice", 2018, lambda s: s["scales"]["grad"]["labels"].append("INTE ALLS"), r"a label is listed twice"),
    ("per_forbund_without_placeholder", 2018, lambda s: s["enkater"]["styrelse"]["export"].update(files="styrelse.xlsx"),
     r"per_forbund export names its files with \{forbund\}"),
    ("samlad_without_forbund_column", 2018, lambda s: s["enkater"]["chefer"]["export"].pop("forbund_column"),
     r"samlad export needs forbund_column"),
    ("xlsx_without_sheet", 2018, lambda s: s["enkater"]["styrelse"]["export"].pop("sheet"), r"export.sheet: must be"),
    ("sheet_on_a_csv", 2018, lambda s: s["enkater"]["chefer"]["export"].update(sheet="Svar"), r"sheet and header_row are for xlsx"),
    ("unknown_encoding", 2018, lambda s: s["enkater"]["chefer"]["export"].update(encoding="latin-9x"),
     r"unknown encoding 'latin-9x'"),
    ("vet_ej_code_on_the_scale", 2018, lambda s: s["enkater"]["insatspersonal"]["export"].update(vet_ej_code=3),
     r"vet_ej_code: 3 is a position on the scale"),
    ("column_twice", 2018, lambda s: _q(s, "ch_forankring").update(column=_q(s, "ch_behov")["text"]),
     r"column .* is also question ch_behov"),
    ("question_column_is_the_id_column", 2018, lambda s: _q(s, "ch_behov").update(column="Svars-ID"),
     r"is also the export's own column"),
    ("free_text_with_an_indicator", 2018, lambda s: _q(s, "ch_kommentar").update(indicator="I01"),
     r"a fritext question has no indicator"),
    ("question_id_twice", 2018, lambda s: _q(s, "ch_behov").update(id="st_behov"), r"'st_behov' is also in styrelse"),
    ("year_of_another_folder", 2018, lambda s: s.update(year=2019), r"year is 2019, but the file is in the folder of 2018"),
    ("dropped_but_still_asked", 2018, lambda s: s["enkater"]["chefer"].update(dropped=[{"id": "ch_behov", "year": 2018}]),
     r"'ch_behov' is declared dropped but is still asked"),
    # across years
    ("new_wording_not_declared", 2019, lambda s: _q(s, "ch_behov").update(text="Vi har samma bild av behoven"),
     r"2019/enkater.yaml: enkater.chefer question ch_behov: the wording differs from 2018; declare changed"),
    ("question_gone_without_dropped", 2019, lambda s: _questions(s, "chefer").remove(_q(s, "ch_information")),
     r"question ch_information of chefer \(2018\) is not asked in 2019; declare it under enkater.chefer.dropped"),
    ("new_question_not_declared", 2019, lambda s: _questions(s, "remittenter").insert(0, dict(
        _q(s, "re_passar"), id="re_passar_ny")) or _questions(s, "remittenter").remove(_q(s, "re_passar")),
     r"question re_passar_ny: not asked in 2018; declare added: 2019"),
    ("question_moves_to_another_point", 2019, lambda s: (_q(s, "re_passar").update(point="I07.2"),
                                                         _q(s, "re_aterkoppling").update(point="I07.1")),
     r"re_(passar|aterkoppling): measurement point was I07.\d in 2018, now I07.\d"),
    ("scale_changed_without_declaration", 2019, lambda s: (s["scales"].update(
        instammer2=dict(s["scales"]["instammer"], positive=["Instämmer helt"])), _q(s, "ch_behov").update(scale="instammer2")),
     r"ch_behov: its scale differs from 2018"),
]


@pytest.mark.parametrize("name, year, change, words", MISTAKES, ids=[m[0] for m in MISTAKES])
def test_a_mistake_in_a_description_is_one_clear_error(tmp_path, name, year, change, words):
    folder = _copy(tmp_path)
    _edit(folder, year, change)
    with pytest.raises(ConfigError) as err:
        indikator.load_descriptions(folder, YEARS)
    message = str(err.value)
    assert re.search(words, message), message
    assert str(folder / str(year)) in message and "\n" not in message


def test_declared_changes_are_accepted(tmp_path):
    folder = _copy(tmp_path)

    def reword_and_drop(s):
        _q(s, "ch_behov").update(text="Vi har samma bild av behoven", changed={"year": 2019, "what": "omformulerad"})
        _questions(s, "chefer").remove(_q(s, "ch_information"))
        s["enkater"]["chefer"]["dropped"] = [{"id": "ch_information", "year": 2019}]

    _edit(folder, 2019, reword_and_drop)
    _edit(folder, 2020, lambda s: (_q(s, "ch_behov").update(text="Vi har samma bild av behoven",
                                                            changed={"year": 2019, "what": "omformulerad"}),
                                   _questions(s, "chefer").remove(_q(s, "ch_information"))))
    with pytest.raises(ConfigError, match=r"2021/enkater.yaml: enkater.chefer question ch_behov: the wording differs"):
        indikator.load_descriptions(folder, YEARS)  # 2021 still has the old wording: a change back must be declared
    indicators, descriptions = indikator.load_descriptions(folder, [2017, 2018, 2019, 2020])
    table = indikator.question_table(descriptions, indicators)
    broken = table[table["bruten_serie"]].set_index(["year", "fraga"])["forandring"].to_dict()
    assert broken == {(2019, "ch_behov"): "omformulerad", (2019, "ch_information"): "borttagen",
                      (2020, "da_formaga"): "omformulerad"}
    assert table.query("year == 2019 and fraga == 'ch_information'")["matpunkt"].tolist() == ["I06.1"]


def test_indicator_file_mistakes(tmp_path):
    folder = _copy(tmp_path)
    path = folder / indikator.INDICATORS_FILE
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    spec["indicators"][2]["points"][0]["id"] = "I04.1"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"indicators\[2\] \(I03\): points\[0\]: a measurement point of I03 is named I03"):
        indikator.load_indicators(folder)
    spec["indicators"][2]["points"][0]["id"] = "I03.1"
    spec["indicators"][5]["level"] = "region"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\(I06\): level must be one of samhälle, organisation, personal, deltagare"):
        indikator.load_indicators(folder)
    path.write_text("indicators: [\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        indikator.load_indicators(folder)
