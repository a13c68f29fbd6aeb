"""Tests of :mod:`spoken_french`: numbers, yes and no, French said and written."""
