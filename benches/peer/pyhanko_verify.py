"""Peer measurement: pyHanko validating signed PDFs (trust root, CRL given, no fetching,
hard-fail revocation checking), every signature of every file, median of N runs.

Usage: python pyhanko_verify.py SIGNED.pdf[,SIGNED.pdf...] ROOT.pem CRL.der[,CRL.der...] [RUNS]
"""
import statistics
import sys
import time

from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

pdf_path, root_path, crl_path = sys.argv[1], sys.argv[2], sys.argv[3]
runs = int(sys.argv[4]) if len(sys.argv) > 4 else 50
root = load_cert_from_pemder(root_path)
crls = []
for path in crl_path.split(","):
    with open(path, "rb") as f:
        crls.append(f.read())


def once():
    vc = ValidationContext(trust_roots=[root], crls=crls, allow_fetching=False, revocation_mode="hard-fail")
    for path in pdf_path.split(","):
        with open(path, "rb") as f:
            for signature in PdfFileReader(f).embedded_signatures:
                status = validate_pdf_signature(signature, vc)
                assert status.bottom_line, status.pretty_print_details()


once()
times = []
for _ in range(runs):
    start = time.perf_counter()
    once()
    times.append(time.perf_counter() - start)
print(f"pyhanko validate: median {statistics.median(times) * 1000:.2f} ms over {runs} runs")
