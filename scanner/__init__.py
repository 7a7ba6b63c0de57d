"""dftriage: forensic triage of pictures and videos on seized devices."""

__version__ = "0.1.0"
