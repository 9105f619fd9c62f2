"""conform: checks a social-services export against SKR's Basinformation i socialtjänsten."""

__version__ = "0.1.0"
