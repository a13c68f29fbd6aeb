"""The settings tab: clinic.yml as it is on disk, read-only, with its validation status
(the same check as ``make check-config``)."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Dict

from actions.clinic_config import DEFAULT_PATH, ClinicConfigError, load_clinic_config


def clinic_settings() -> Dict:
    path = Path(os.environ.get("CLINIC_CONFIG") or DEFAULT_PATH)
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
