"""A seeded synthetic world with planted effects: the demo's data and the models' yardstick."""

from rel2rev.simulate.files import read_records, read_truth, write_world
from rel2rev.simulate.truth import GroundTruth, Recovery, WorldCounts
from rel2rev.simulate.world import Account, World, WorldConfig, simulate_world

__all__ = [
    "Account",
    "GroundTruth",
    "Recovery",
    "World",
    "WorldConfig",
    "WorldCounts",
    "read_records",
    "read_truth",
    "simulate_world",
    "write_world",
]
