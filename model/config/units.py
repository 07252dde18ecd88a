"""Money, people and the small constants of the model, defined once.

Money is in million yuan (m yuan) inside the engine and in billion yuan (bn yuan) in the
results; people are counted in thousands in the results and in millions in the region files.
"""

from __future__ import annotations

#: Million yuan in a billion yuan (engine money -> result money: divide).
M_YUAN_PER_BN = 1e3
#: Billion yuan per million yuan (result money from engine money: multiply).
BN_PER_M_YUAN = 1.0 / M_YUAN_PER_BN
#: People in a thousand (the results count employment in thousands).
PEOPLE_PER_THOUSAND = 1e3
#: People in a million (the region files give employment in millions).
PEOPLE_PER_MILLION = 1e6
#: Floor of a denominator that may be zero (an empty sector, a firm without sales): far below
#: any quantity the model computes in m yuan, so it changes no non-degenerate ratio.
TINY = 1e-12
#: Slack of a threshold test on a ratio computed in floating point (a firm exactly at a 3%
#: threshold passes although its ratio may come out a rounding error below it).
THRESHOLD_SLACK = 1e-12

__all__ = [
    "BN_PER_M_YUAN",
    "M_YUAN_PER_BN",
    "PEOPLE_PER_MILLION",
    "PEOPLE_PER_THOUSAND",
    "THRESHOLD_SLACK",
    "TINY",
]
