"""The checker's HTTP: an aiohttp session (session.py), its guard resolver (resolver.py) and the
bounded decoders (decode.py). Only fetch.make_client builds a Session; everything below receives it."""

from ...decode import DecodingError, drain, read_capped
from .resolver import GuardResolver
from .session import Headers, Response, Session, Timeout

__all__ = ["DecodingError", "GuardResolver", "Headers", "Response", "Session", "Timeout", "drain", "read_capped"]
