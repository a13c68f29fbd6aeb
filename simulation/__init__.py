"""The clinic, simulated, for the tests and the benchmarks alike (never for production).

* :mod:`.stack`: the real stack (Duckling, action server, Rasa) started on free ports;
* :mod:`.synthetic_audio`: French speech from espeak-ng, noise and silence, made on demand;
* :mod:`.phone_caller`: a simulated caller on the phone line (speaks, types, listens);
* :mod:`.fake_phone_server`: a fake of the phone network's side of a media stream;
* :mod:`.requirements`: a missing tool or service skips a test on a laptop, fails it in CI;
* :mod:`.databases`: PostgreSQL for a run, emptied and migrated.

``tests/`` and ``bench/`` both import it; it imports neither.
"""
