"""pyHanko's verdict on every signature of every PDF given: one JSON line per signature.

Used by tests/verify.rs to compare eucdoc's verdicts (intact, valid, modified) with pyHanko's. Trust is
not judged here (no trust roots): only integrity, cryptography, coverage and modifications.
"""
import json
import sys
import warnings

from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature, validate_pdf_timestamp
from pyhanko_certvalidator import ValidationContext

warnings.simplefilter("ignore")
for path in sys.argv[1:]:
    try:
        with open(path, "rb") as f:
            reader = PdfFileReader(f, strict=False)
            signatures = list(reader.embedded_signatures)
            for index, signature in enumerate(signatures):
                row = {"file": path, "index": index}
                try:
                    context = ValidationContext(trust_roots=[], allow_fetching=False)
                    if signature.sig_object_type == "/DocTimeStamp":
                        status = validate_pdf_timestamp(signature, validation_context=context)
                    else:
                        status = validate_pdf_signature(signature, context)
                    row["intact"] = bool(status.intact)
                    row["valid"] = bool(status.valid)
                    row["coverage"] = status.coverage.name if status.coverage else None
                    row["modification"] = (
                        status.modification_level.name if status.modification_level else None
                    )
                except Exception as error:  # pyHanko refuses the signature outright
                    row["error"] = f"{type(error).__name__}: {error}"[:300]
                print(json.dumps(row), flush=True)
            if not signatures:
                print(json.dumps({"file": path, "index": None}), flush=True)
    except Exception as error:
        print(json.dumps({"file": path, "index": None, "error": f"{type(error).__name__}: {error}"[:300]}), flush=True)
