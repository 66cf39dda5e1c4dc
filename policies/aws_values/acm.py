"""ACM: RequestCertificate; the model gives the domain name its pattern and 253 characters."""

from __future__ import annotations

from .fields import NAME, VALUE, Request, Tagging, fields

REQUESTS = {
    "aws:acm/certificate:Certificate": Request((
        *fields("acm", NAME, ("domainName", "RequestCertificate.DomainName"),
                ("subjectAlternativeNames[]", "RequestCertificate.SubjectAlternativeNames[]")),
        *fields("acm", VALUE, ("validationMethod", "RequestCertificate.ValidationMethod"),
                ("keyAlgorithm", "RequestCertificate.KeyAlgorithm")),
    ), tags=Tagging("acm", "TagKey", "TagValue")),
    # Waits in the provider for the certificate to be issued; sends ACM nothing the program sets.
    "aws:acm/certificateValidation:CertificateValidation": Request(
        unchecked=("certificateArn", "validationRecordFqdns")),
}
