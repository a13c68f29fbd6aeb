"""Malformed or hostile requests across every route of a running stack
(``bench/abuse.py``, ``tests/e2e/test_security_e2e.py``):

* :mod:`.report`: what each request got, and whether that is the expected refusal;
* :mod:`.attackers`: requests from loopback addresses of the attackers' own;
* :mod:`.victim`: the registered patient under attack, and what the database holds;
* :mod:`.http_attacks`: garbage JSON, huge bodies, wrong tokens, bad TwiML requests,
  hijack attempts, an identity brute force;
* :mod:`.stream_attacks`: bad frames on the media stream, replayed tickets and
  signatures;
* :mod:`.round_two`: the attacks of security round 2 (issue 19);
* :mod:`.run`: every category against a stack, and the summary.
"""
