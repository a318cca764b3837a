"""Deep researcher messages (``SubmitDeepResearcherJob``, ``GetDeepResearcherJob``): a job's
status and its result, one chunk per step."""

from __future__ import annotations

from apex_tui.api.models.base import Int64, WireModel


class SubmitDeepResearcherJobResponse(WireModel):
    job_id: str = ""
    status: str = ""
    created_at: str = ""
    updated_at: str = ""


class DeepResearcherResultChunk(WireModel):
    seq_id: Int64 = 0
    chunk: str = ""


class GetDeepResearcherJobRequest(WireModel):
    job_id: str = ""


class GetDeepResearcherJobResponse(WireModel):
    job_id: str = ""
    status: str = ""
    created_at: str = ""
    updated_at: str = ""
    result: list[DeepResearcherResultChunk] = []
    error: str | None = None
