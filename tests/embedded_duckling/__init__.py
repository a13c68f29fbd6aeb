"""Tests of :mod:`embedded_duckling`: Duckling's HTTP API over the native wheel."""
