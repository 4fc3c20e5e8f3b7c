"""The report's sections, each a function of `RunResults` returning HTML (plain language first)."""

from rel2rev.report.sections.attribution import attribution_section
from rel2rev.report.sections.baseline import baseline_section
from rel2rev.report.sections.caveats import caveats_section
from rel2rev.report.sections.deal_story import deal_story_section
from rel2rev.report.sections.funnel import engagement_section, funnel_section
from rel2rev.report.sections.over_time import over_time_section
from rel2rev.report.sections.people import people_section
from rel2rev.report.sections.returns import returns_section
from rel2rev.report.sections.summary import summary_section
from rel2rev.report.sections.survival import drivers_section, survival_section
from rel2rev.report.sections.trend import trend_section

__all__ = [
    "attribution_section",
    "baseline_section",
    "caveats_section",
    "deal_story_section",
    "drivers_section",
    "engagement_section",
    "funnel_section",
    "over_time_section",
    "people_section",
    "returns_section",
    "summary_section",
    "survival_section",
    "trend_section",
]
