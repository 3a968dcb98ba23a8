"""The ``composite`` generator: a bot design space built from registered parts."""

from deval.generators.composite.generator import CompositeBot
from deval.generators.composite.parts import (FAMILIES, PARTS, MotionPoints, NoisePart, Part, PathPart, SpeedPart,
                                               TimingPart, part, part_names, register_part)

__all__ = ["CompositeBot", "FAMILIES", "PARTS", "MotionPoints", "Part", "PathPart", "SpeedPart", "NoisePart", "TimingPart",
           "part", "part_names", "register_part"]
