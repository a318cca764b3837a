"""Colours for the conversation, taken from the app's Textual theme.

The conversation is drawn with Rich renderables rather than Textual widgets, so it does not get
CSS for free: this module turns the theme's variables ($primary, $foreground, $surface, ...) into
Rich styles, and into a Rich theme for the `markdown.*` style names Rich's Markdown looks up.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from rich.style import Style
from rich.theme import Theme as RichTheme
from textual.color import Color, ColorParseError

_FALLBACK = {
    "primary": "#0178D4",
    "secondary": "#004578",
    "accent": "#ffa62b",
    "foreground": "#e0e0e0",
    "background": "#121212",
    "surface": "#1e1e1e",
    "panel": "#24292f",
    "warning": "#ffa62b",
    "error": "#ba3c5b",
    "success": "#4EBF71",
}


def _solid(variables: Mapping[str, str], name: str, under: Color) -> Color:
    """Parse a theme variable as an opaque colour (translucent ones are blended over `under`)."""
    value = variables.get(name) or _FALLBACK.get(name, "#808080")
    try:
        color = Color.parse(value)
    except ColorParseError:
        color = Color.parse(_FALLBACK.get(name, "#808080"))
    return under + color if color.a < 1 else color


@dataclass(frozen=True)
class Palette:
    """Every style the conversation uses, plus the Rich theme and code theme for Markdown."""

    dark: bool
    code_theme: str
    base: Style
    header: Style
    header_meta: Style
    prompt: Style
    muted: Style
    gutter_selected: Style
    cursor: Style
    warning: Style
    error: Style
    link: Style
    rich_theme: RichTheme

    @classmethod
    def from_variables(cls, variables: Mapping[str, str], *, dark: bool) -> Palette:
        """Build the palette from Textual theme variables (as in `App.theme_variables`)."""
        background = Color.parse(_FALLBACK["background"])
        background = _solid(variables, "background", background)
        surface = _solid(variables, "surface", background)

        def hex_of(name: str) -> str:
            return _solid(variables, name, surface).hex

        foreground = hex_of("foreground")
        muted = (surface + Color.parse(foreground).with_alpha(0.6)).hex
        primary, secondary, accent = hex_of("primary"), hex_of("secondary"), hex_of("accent")
        panel = hex_of("panel")
        markdown_styles = {
            "markdown.h1": Style(color=primary, bold=True),
            "markdown.h1.border": Style(color=primary),
            "markdown.h2": Style(color=primary, bold=True, underline=True),
            "markdown.h3": Style(color=primary, bold=True),
            "markdown.h4": Style(color=secondary if not dark else primary, bold=True, italic=True),
            "markdown.h5": Style(italic=True, underline=True),
            "markdown.h6": Style(italic=True, color=muted),
            "markdown.code": Style(color=accent, bgcolor=panel, bold=True),
            "markdown.code_block": Style(color=foreground, bgcolor=panel),
            "markdown.block_quote": Style(color=muted, italic=True),
            "markdown.item.bullet": Style(color=primary, bold=True),
            "markdown.item.number": Style(color=primary, bold=True),
            "markdown.hr": Style(color=muted),
            "markdown.link": Style(color=accent, underline=True),
            "markdown.link_url": Style(color=accent, underline=True),
            "markdown.table.border": Style(color=muted),
            "markdown.table.header": Style(color=primary, bold=True),
        }
        return cls(
            dark=dark,
            code_theme="monokai" if dark else "default",
            base=Style(color=foreground),
            header=Style(color=primary, bold=True),
            header_meta=Style(color=muted),
            prompt=Style(color=foreground, bold=True),
            muted=Style(color=muted),
            gutter_selected=Style(color=accent, bold=True),
            cursor=Style(color=accent, bold=True),
            warning=Style(color=hex_of("warning"), bold=True),
            error=Style(color=hex_of("error"), bold=True),
            link=Style(color=accent),
            rich_theme=RichTheme(markdown_styles, inherit=True),
        )
