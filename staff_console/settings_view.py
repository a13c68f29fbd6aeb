"""The settings tab: clinic.yml as it is on disk, read-only, with its validation status
(the same check as ``make check-config``)."""
from __future__ import annotations

from typing import Dict

from clinic.config import ClinicConfigError, load_clinic_config
from clinic.settings import clinic_config_path


def clinic_settings() -> Dict:
    path = clinic_config_path()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return {"path": path.name, "text": "", "valid": False,
                "message": "Fichier de configuration introuvable."}
    try:
        config = load_clinic_config(path)
    except ClinicConfigError as error:
        return {"path": path.name, "text": text, "valid": False, "message": str(error)}
    return {"path": path.name, "text": text, "valid": True,
            "message": f"Configuration valide : {config.name}, {len(config.doctors)} médecin(s)."}
