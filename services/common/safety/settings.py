"""Where the crisis resources table comes from: the same two settings for every process that reads it (the
personas, and the gateway for the line its refusals and holds end with)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class SafetySettings(BaseModel):
    """`PM_CRISIS_RESOURCES_PATH`, `PM_CRISIS_DEFAULT_REGION`."""

    crisis_resources_path: str = Field(
        "", description="YAML table of crisis resources by region (empty: the shipped table)."
    )
    crisis_default_region: str = Field(
        "", description="Region (ISO 3166 alpha-2) whose crisis resources apply when a request names none."
    )
