"""QR codes of class links as PNG (segno)."""

from __future__ import annotations

import io

import segno

QR_SCALE = 8
QR_BORDER = 4


def qr_make(link: str) -> segno.QRCode:
    """The QR code of a link (a full QR code, never a Micro QR that phones may not read)."""
    return segno.make(link, micro=False)


def qr_png(link: str) -> bytes:
    """The QR code of a link as a PNG: 8 pixels per module and a 4-module quiet zone."""
    buffer = io.BytesIO()
    qr_make(link).save(buffer, kind="png", scale=QR_SCALE, border=QR_BORDER)
    return buffer.getvalue()
