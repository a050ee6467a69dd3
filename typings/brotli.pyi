# The part of Google's brotli module the portal uses; the package ships no type information.
MODE_GENERIC: int
MODE_TEXT: int
MODE_FONT: int

def compress(
    string: bytes, mode: int = 0, quality: int = 11, lgwin: int = 22, lgblock: int = 0
) -> bytes: ...
def decompress(string: bytes) -> bytes: ...
