//! The report as ETSI TS 119 102-2 writes it (validation report XML, namespace
//! `http://uri.etsi.org/19102/v1.2.1#`), for tools that read ETSI reports: per signature its
//! identifier, validation time and best signature time, claimed signing time, signer certificate
//! (as a validation object), validation process and status (main indication and sub-indication
//! URIs). Written with quick-xml; valid against the schema in ../shared/corpora/etsi-xsd.

use base64::Engine;
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};

use super::{Indication, Report, SignatureReport, SubIndication};

const NS_VR: &str = "http://uri.etsi.org/19102/v1.2.1#";
const NS_DS: &str = "http://www.w3.org/2000/09/xmldsig#";
const NS_XADES: &str = "http://uri.etsi.org/01903/v1.3.2#";
const NS_TSL: &str = "http://uri.etsi.org/02231/v2#";

type Result<T> = std::io::Result<T>;

/// The main indication's URI (TS 119 102-2, table 1).
fn main_indication(indication: Indication) -> &'static str {
    match indication {
        Indication::TotalPassed => "urn:etsi:019102:mainindication:total-passed",
        Indication::TotalFailed => "urn:etsi:019102:mainindication:total-failed",
        Indication::Indeterminate => "urn:etsi:019102:mainindication:indeterminate",
    }
}

/// The sub-indication's URI: its EN 319 102-1 name under urn:etsi:019102:subindication.
fn sub_indication(sub: SubIndication) -> String {
    let name = serde_json::to_value(sub)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    format!("urn:etsi:019102:subindication:{name}")
}

/// The report as ETSI TS 119 102-2 XML.
pub fn to_xml(report: &Report) -> String {
    let mut writer = Writer::new_with_indent(Vec::new(), b' ', 2);
    // Writing into a Vec cannot fail; an error would be a bug in the element nesting.
    let written = write_report(&mut writer, report);
    debug_assert!(written.is_ok(), "{written:?}");
    String::from_utf8_lossy(&writer.into_inner()).into_owned()
}

fn text(writer: &mut Writer<Vec<u8>>, name: &str, value: &str) -> Result<()> {
    writer
        .create_element(name)
        .write_text_content(BytesText::new(value))?;
    Ok(())
}

fn write_report(writer: &mut Writer<Vec<u8>>, report: &Report) -> Result<()> {
    writer.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    writer
        .create_element("vr:ValidationReport")
        .with_attributes([
            ("xmlns:vr", NS_VR),
            ("xmlns:ds", NS_DS),
            ("xmlns:XAdES", NS_XADES),
            ("xmlns:tsl", NS_TSL),
        ])
        .write_inner_content(|writer| {
            if report.signatures.is_empty() {
                // The schema wants one report at least: say that there is nothing to validate.
                writer
                    .create_element("vr:SignatureValidationReport")
                    .write_inner_content(|writer| {
                        write_status(
                            writer,
                            report.indication,
                            Some(SubIndication::FormatFailure),
                        )
                    })?;
            }
            for (index, signature) in report.signatures.iter().enumerate() {
                write_signature(writer, index, signature)?;
            }
            let certificates: Vec<(usize, &[u8])> = report
                .signatures
                .iter()
                .enumerate()
                .filter_map(|(i, s)| s.signer.as_ref().map(|signer| (i, signer)))
                .filter(|(_, signer)| !signer.certificate.is_empty())
                .map(|(i, signer)| (i, signer.certificate.as_slice()))
                .collect();
            if !certificates.is_empty() {
                writer
                    .create_element("vr:SignatureValidationObjects")
                    .write_inner_content(|writer| {
                        for (index, der) in &certificates {
                            write_certificate_object(writer, *index, der)?;
                        }
                        Ok(())
                    })?;
            }
            Ok(())
        })?;
    Ok(())
}

fn write_signature(
    writer: &mut Writer<Vec<u8>>,
    index: usize,
    signature: &SignatureReport,
) -> Result<()> {
    writer
        .create_element("vr:SignatureValidationReport")
        .write_inner_content(|writer| {
            writer
                .create_element("vr:SignatureIdentifier")
                .with_attribute(("id", format!("signature-{}", index + 1).as_str()))
                .write_inner_content(|writer| {
                    text(writer, "vr:HashOnly", "false")?;
                    text(writer, "vr:DocHashOnly", "false")?;
                    if let Some(field) = &signature.field {
                        text(writer, "vr:DAIdentifier", field)?;
                    }
                    Ok(())
                })?;
            writer
                .create_element("vr:ValidationTimeInfo")
                .write_inner_content(|writer| {
                    text(writer, "vr:ValidationTime", &signature.validation_time)?;
                    // Without a timestamp the best signature time is the validation time.
                    let best = signature
                        .timestamp
                        .as_deref()
                        .unwrap_or(&signature.validation_time);
                    writer
                        .create_element("vr:BestSignatureTime")
                        .write_inner_content(|writer| {
                            text(writer, "vr:POETime", best)?;
                            text(
                                writer,
                                "vr:TypeOfProof",
                                "urn:etsi:019102:poetype:validation",
                            )
                        })?;
                    Ok(())
                })?;
            if let Some(time) = &signature.claimed_signing_time {
                writer
                    .create_element("vr:SignatureAttributes")
                    .write_inner_content(|writer| {
                        writer
                            .create_element("vr:SigningTime")
                            .with_attribute(("Signed", "true"))
                            .write_inner_content(|writer| text(writer, "vr:Time", time))?;
                        Ok(())
                    })?;
            }
            if let Some(signer) = signature
                .signer
                .as_ref()
                .filter(|s| !s.certificate.is_empty())
            {
                writer
                    .create_element("vr:SignerInformation")
                    .write_inner_content(|writer| {
                        writer
                            .create_element("vr:SignerCertificate")
                            .with_attribute((
                                "VOReference",
                                format!("certificate-{}", index + 1).as_str(),
                            ))
                            .write_empty()?;
                        text(writer, "vr:Signer", &signer.full_name)
                    })?;
            }
            // Basic validation, or validation with time when a timestamp gave the time.
            let process = if signature.timestamp.is_some() {
                "urn:etsi:019102:validationprocess:LTVM"
            } else {
                "urn:etsi:019102:validationprocess:Basic"
            };
            writer
                .create_element("vr:SignatureValidationProcess")
                .write_inner_content(|writer| {
                    text(writer, "vr:SignatureValidationProcessID", process)
                })?;
            write_status(writer, signature.indication, signature.sub_indication)
        })?;
    Ok(())
}

fn write_status(
    writer: &mut Writer<Vec<u8>>,
    indication: Indication,
    sub: Option<SubIndication>,
) -> Result<()> {
    writer
        .create_element("vr:SignatureValidationStatus")
        .write_inner_content(|writer| {
            text(writer, "vr:MainIndication", main_indication(indication))?;
            if let Some(sub) = sub {
                text(writer, "vr:SubIndication", &sub_indication(sub))?;
            }
            Ok(())
        })?;
    Ok(())
}

fn write_certificate_object(writer: &mut Writer<Vec<u8>>, index: usize, der: &[u8]) -> Result<()> {
    writer
        .create_element("vr:ValidationObject")
        .with_attribute(("id", format!("certificate-{}", index + 1).as_str()))
        .write_inner_content(|writer| {
            text(
                writer,
                "vr:ObjectType",
                "urn:etsi:019102:validationObject:certificate",
            )?;
            writer
                .create_element("vr:ValidationObjectRepresentation")
                .write_inner_content(|writer| {
                    text(
                        writer,
                        "vr:base64",
                        &base64::engine::general_purpose::STANDARD.encode(der),
                    )
                })?;
            Ok(())
        })?;
    Ok(())
}
