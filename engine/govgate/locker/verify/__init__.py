"""The verifiers of `govgate verify`: the checks shared by a locker and its exports, and the
readers that feed them from a locker file or an export folder.
"""

from govgate.locker.verify.database import verify_locker, verify_locker_file
from govgate.locker.verify.export import verify_export
from govgate.locker.verify.report import VerifyProblem, VerifyReport, run_list_text
from govgate.locker.verify.runs import verify_chain
from govgate.locker.verify.tombstones import PRUNE_CLOCK_SLACK
from govgate.locker.verify.witness import Witness, parse_witness, read_witness_file

__all__ = [
    "PRUNE_CLOCK_SLACK",
    "VerifyProblem",
    "VerifyReport",
    "Witness",
    "parse_witness",
    "read_witness_file",
    "run_list_text",
    "verify_chain",
    "verify_export",
    "verify_locker",
    "verify_locker_file",
]
