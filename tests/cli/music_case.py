"""What the music tests (test_music.py, test_music_long.py) share: the
binary under test (argv[1]), a scratch folder of their own, and one
analysed render measured by the music report's own functions
(scripts/music_report.py), so the tests and the report measure alike."""
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "scripts"))
import music_report as mr  # noqa: E402,F401

BIN = sys.argv[1] if len(sys.argv) > 1 else "build/auralis"
TMP = tempfile.mkdtemp(prefix="auralis-music-")


def piece(seed, key, mode, bpm, inten, seconds, prominence=True):
    return mr.analyse_piece(BIN, TMP, seed, key, mode, bpm, inten, seconds,
                            png=False, prominence=prominence)
