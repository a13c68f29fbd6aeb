"""The register of patients (clinic.patient_registry) and its CSV import
(``make import-patients FILE=…``, clinic.patient_import), on SQLite and PostgreSQL.

What matters: registering twice changes nothing, a known ID with other details is
updated, one bad row means nothing is written, bad rows are told by line number and
field, and no patient ID or phone number is ever printed.
"""
from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Dict

import pytest
from sqlalchemy import select

from clinic.operations import ClinicOperations
from clinic.database import make_engine, make_session_factory
from clinic.models import Patient
from clinic.patient_import import main
from clinic.patient_registry import (
    InvalidPatient, PatientRecord, RegistrationResult, parse_patient, register_patients,
)
from tests.conftest import PROJECT_ROOT

HEADER = "patient_id;last_name;first_name;phone\n"
GOOD_ROWS = ("482913;Dupont;Marie;06 12 34 56 78\n"
             "305117;N'Diaye;Awa;+33 7 81 22 33 44\n"
             "770002;Le Goff;Jean-Pierre;0693 88 93 30\n")
PRIVATE = ("482913", "305117", "770002", "612345678", "781223344", "693889330",
           "12 34 56 78", "81 22 33 44")


def patients(session_factory) -> Dict[str, tuple]:
    with session_factory() as session:
        rows = session.execute(select(Patient)).scalars().all()
        return {p.clinic_patient_id: (p.last_name, p.first_name, p.phone_e164) for p in rows}


def csv_file(tmp_path: Path, text: str, name: str = "patients.csv", bom: bool = True) -> Path:
    path = tmp_path / name
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


def run_import(path: Path, capsys) -> tuple:
    code = main([str(path)])
    out = capsys.readouterr()
    return code, out.out, out.err


def assert_private(*outputs: str) -> None:
    for output in outputs:
        for value in PRIVATE:
            assert value not in output


# -- one patient --------------------------------------------------------------------------------

def test_a_patient_is_checked_and_the_phone_normalized():
    assert parse_patient(" 482913 ", " Dupont ", "Marie  Claire", "06 12 34 56 78", 6) == \
        PatientRecord("482913", "Dupont", "Marie Claire", "+33612345678")
    assert parse_patient("000042", "N'Diaye", "Awa", "0033 7 81 22 33 44", 6).phone_e164 == \
        "+33781223344"


@pytest.mark.parametrize("fields, field", [
    (("48291", "Dupont", "Marie", "0612345678"), "patient_id"),
    (("4829133", "Dupont", "Marie", "0612345678"), "patient_id"),
    (("48291a", "Dupont", "Marie", "0612345678"), "patient_id"),
    (("４８２９１３", "Dupont", "Marie", "0612345678"), "patient_id"),
    (("482913", " ", "Marie", "0612345678"), "last_name"),
    (("482913", "Dupont3", "Marie", "0612345678"), "last_name"),
    (("482913", "Dupont", "", "0612345678"), "first_name"),
    (("482913", "Dupont", "M" * 101, "0612345678"), "first_name"),
    (("482913", "Dupont", "Marie", "06 12 34"), "phone"),
    (("482913", "Dupont", "Marie", ""), "phone"),
])
def test_a_bad_field_is_named_never_quoted(fields, field):
    with pytest.raises(InvalidPatient) as error:
        parse_patient(*fields, digits=6)
    assert error.value.field == field
    reason = str(error.value)
    assert reason and all(value not in reason for value in fields if len(value) > 1)


# -- the register ---------------------------------------------------------------------------------

def test_registering_twice_changes_nothing_and_other_details_update(session_factory):
    records = [parse_patient("482913", "Dupont", "Marie", "0612345678", 6),
               parse_patient("305117", "N'Diaye", "Awa", "0781223344", 6)]
    assert register_patients(session_factory, records) == RegistrationResult(2, 0, 0)
    assert register_patients(session_factory, records) == RegistrationResult(0, 0, 2)
    moved = [parse_patient("305117", "N'Diaye", "Awa", "0699887766", 6),
             parse_patient("482913", "Dupont", "Marie", "0612345678", 6)]
    assert register_patients(session_factory, moved) == RegistrationResult(0, 1, 1)
    assert patients(session_factory) == {
        "482913": ("Dupont", "Marie", "+33612345678"),
        "305117": ("N'Diaye", "Awa", "+33699887766"),
    }


def test_one_id_twice_in_a_registration_writes_nothing(session_factory):
    twice = [parse_patient("482913", "Dupont", "Marie", "0612345678", 6),
             parse_patient("482913", "Durand", "Marie", "0612345678", 6)]
    with pytest.raises(InvalidPatient):
        register_patients(session_factory, twice)
    assert patients(session_factory) == {}


def test_a_registered_patient_is_known_to_the_clinic_operations(session_factory, clinic):
    register_patients(session_factory,
                      [parse_patient("482913", "Dupont", "Marie", "06 12 34 56 78", 6)])
    operations = ClinicOperations(session_factory, clinic)
    assert operations.find_patient("482913").last_name == "Dupont"
    assert operations.verify_identity("482913", "+33612345678")


# -- the CSV import -------------------------------------------------------------------------------

@pytest.fixture
def clinic_database(database_url, monkeypatch, session_factory):
    monkeypatch.setenv("DATABASE_URL", database_url)
    return session_factory


def test_import_is_idempotent_and_prints_a_summary_only(clinic_database, tmp_path, capsys):
    path = csv_file(tmp_path, HEADER + GOOD_ROWS)
    code, out, err = run_import(path, capsys)
    assert (code, err) == (0, "")
    assert "3 créé(s), 0 mis à jour, 0 inchangé(s)" in out
    assert patients(clinic_database)["770002"] == ("Le Goff", "Jean-Pierre", "+262693889330")
    code, out, _ = run_import(path, capsys)
    assert code == 0 and "0 créé(s), 0 mis à jour, 3 inchangé(s)" in out
    assert len(patients(clinic_database)) == 3
    assert_private(out, err)


def test_import_updates_and_reads_commas_without_a_bom(clinic_database, tmp_path, capsys):
    run_import(csv_file(tmp_path, HEADER + GOOD_ROWS), capsys)
    changed = ("first_name,phone,patient_id,last_name\n"  # any order of the columns
               "Marie,07 56 11 22 33,482913,Dupont\n\n"
               '"Awa",+33 7 81 22 33 44,305117,"N\'Diaye"\n')
    code, out, _ = run_import(csv_file(tmp_path, changed, "changes.csv", bom=False), capsys)
    assert code == 0 and "0 créé(s), 1 mis à jour, 1 inchangé(s)" in out
    assert patients(clinic_database)["482913"] == ("Dupont", "Marie", "+33756112233")


def test_bad_rows_are_told_by_line_and_nothing_is_written(clinic_database, tmp_path, capsys):
    text = (HEADER + GOOD_ROWS                       # lines 2 to 4
            + "48291;Martin;Paul;0611111111\n"       # 5: a digit short
            + "611111;Martin;Paul;01 23\n"           # 6: no phone number
            + "482913;Dupont;Marie;0612345678\n"     # 7: same ID as line 2
            + "622222;Martin\n"                      # 8: missing columns
            + "633333;;Paul;0611111111\n")           # 9: no last name
    code, out, err = run_import(csv_file(tmp_path, text), capsys)
    assert code == 1 and out == ""
    assert err.splitlines() == [
        "ligne 5 : identifiant patient : 6 chiffres attendus",
        "ligne 6 : téléphone : numéro invalide",
        "ligne 7 : identifiant patient : déjà à la ligne 2",
        "ligne 8 : 2 colonnes au lieu de 4",
        "ligne 9 : nom : manquant",
        f"Aucun patient enregistré : 5 ligne(s) à corriger dans {tmp_path / 'patients.csv'}.",
    ]
    assert patients(clinic_database) == {}
    assert_private(out, err)


@pytest.mark.parametrize("content, message", [
    ("id;nom;prénom;téléphone\n482913;Dupont;Marie;0612345678\n",
     "la première ligne doit nommer les colonnes patient_id,last_name,first_name,phone"),
    ("".encode(), "la première ligne doit nommer les colonnes"),
    ((HEADER + "482913;Hélène;Marie;0612345678\n").encode("cp1252"),
     "le fichier n'est pas en UTF-8"),
    ((HEADER + "482913;Du\x00pont;Marie;0612345678\n").encode(), "ligne 2 : pas du CSV"),
])
def test_a_file_that_is_not_a_patient_list_is_refused(clinic_database, tmp_path, capsys,
                                                      content, message):
    path = tmp_path / "liste.csv"
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    code, out, err = run_import(path, capsys)
    assert code == 1 and message in err and out == ""
    assert patients(clinic_database) == {}


def test_make_import_patients(tmp_path):
    database = tmp_path / "clinic.db"
    path = csv_file(tmp_path, HEADER + GOOD_ROWS)
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}"}
    done = subprocess.run(["make", "-s", "import-patients", f"FILE={path}"], cwd=PROJECT_ROOT,
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "3 créé(s), 0 mis à jour, 0 inchangé(s)" in done.stdout
    assert_private(done.stdout, done.stderr)
    engine = make_engine(f"sqlite:///{database}")
    try:
        assert set(patients(make_session_factory(engine))) == {"482913", "305117", "770002"}
    finally:
        engine.dispose()
