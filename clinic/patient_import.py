"""``python -m clinic.patient_import FILE`` (``make import-patients FILE=patients.csv``):
register the clinic's patients from a CSV file.

The file has a header line naming its four columns, ``patient_id,last_name,first_name,
phone``, in any order; fields are separated by ``,`` or ``;`` (what a French spreadsheet
exports), in UTF-8 with or without a byte-order mark. Each row is checked
(:func:`clinic.patient_registry.parse_patient`); a patient ID twice in the file is a
bad row too. If any row is bad, nothing is written: each bad row is reported by its
line number and the field at fault (never a value), and the exit code is 1. Otherwise
every row is registered in one transaction (:func:`~clinic.patient_registry.
register_patients`, idempotent) and a summary is printed: created, updated, unchanged.
"""
from __future__ import annotations

import csv
import io
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from sqlalchemy.exc import SQLAlchemyError

from clinic.config import ClinicConfigError, load_clinic_config
from clinic.database import make_engine, make_session_factory
from clinic.patient_registry import (
    InvalidPatient, PatientRecord, parse_patient, register_patients,
)

COLUMNS = ("patient_id", "last_name", "first_name", "phone")


class PatientFileError(ValueError):
    """The file cannot be read as a patient list (the message says why, in French)."""


@dataclass(frozen=True)
class BadRow:
    line: int
    reason: str


def read_patients(path: Path, digits: int) -> Tuple[List[PatientRecord], List[BadRow]]:
    """The file's patients, and its bad rows (line numbers count the header as 1)."""
    text = _text(path)
    rows = csv.reader(io.StringIO(text, newline=""), delimiter=_separator(text))
    try:
        first = next((row for row in rows if any(field.strip() for field in row)), [])
        header = [name.strip().lower() for name in first]
        if sorted(header) != sorted(COLUMNS):
            raise PatientFileError("la première ligne doit nommer les colonnes "
                                   + ",".join(COLUMNS))
        return _read_rows(rows, header, digits)
    except csv.Error:  # a NUL byte, an unclosed quote over a huge field...
        raise PatientFileError(f"ligne {rows.line_num} : pas du CSV") from None


def _read_rows(rows, header: List[str], digits: int) -> Tuple[List[PatientRecord], List[BadRow]]:
    records: List[PatientRecord] = []
    bad: List[BadRow] = []
    first_line_of: Dict[str, int] = {}
    for row in rows:
        if not any(field.strip() for field in row):
            continue
        if len(row) != len(COLUMNS):
            bad.append(BadRow(rows.line_num, f"{len(row)} colonnes au lieu de {len(COLUMNS)}"))
            continue
        fields = dict(zip(header, row))
        patient_id = fields["patient_id"].strip()
        if patient_id and patient_id in first_line_of:
            bad.append(BadRow(rows.line_num, "identifiant patient : déjà à la ligne "
                                             f"{first_line_of[patient_id]}"))
            continue
        first_line_of.setdefault(patient_id, rows.line_num)
        try:
            records.append(parse_patient(patient_id, fields["last_name"], fields["first_name"],
                                         fields["phone"], digits))
        except InvalidPatient as error:
            bad.append(BadRow(rows.line_num, str(error)))
    return records, bad


def _text(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise PatientFileError("le fichier n'est pas en UTF-8 : enregistrez-le au format "
                               "« CSV UTF-8 »") from None
    except OSError as error:
        raise PatientFileError(f"impossible de lire le fichier ({error.strerror})") from None


def _separator(text: str) -> str:
    """``;`` when the header line has more of them than of ``,``."""
    header = text.lstrip("\r\n").partition("\n")[0]
    return ";" if header.count(";") > header.count(",") else ","


def main(argv: Optional[List[str]] = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1 or not argv[0]:
        print("usage : make import-patients FILE=<fichier.csv>", file=sys.stderr)
        return 2
    path = Path(argv[0])
    try:
        records, bad = read_patients(path, load_clinic_config().patient_id_digits)
    except (PatientFileError, ClinicConfigError) as error:
        print(f"erreur : {error}", file=sys.stderr)
        return 1
    if bad:
        for row in bad:
            print(f"ligne {row.line} : {row.reason}", file=sys.stderr)
        print(f"Aucun patient enregistré : {len(bad)} ligne(s) à corriger dans {path}.",
              file=sys.stderr)
        return 1
    engine = make_engine()
    try:
        result = register_patients(make_session_factory(engine), records)
    except SQLAlchemyError as error:  # its message holds no values (hide_parameters)
        print(f"erreur : base de données ({type(error).__name__}) : aucun patient enregistré",
              file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    print(f"Patients de {path} : {result.created} créé(s), {result.updated} mis à jour, "
          f"{result.unchanged} inchangé(s).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
