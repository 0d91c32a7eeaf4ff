//! A small page layout on printpdf's operations: text measured with the embedded
//! font's own glyph widths, a cursor that starts a new page when content would cross
//! the bottom margin, and tables whose header is repeated on every page they cross.

use printpdf::{
    Color, FontId, Line, LinePoint, Op, PaintMode, ParsedFont, PdfFontHandle, Point, Pt, Rect, Rgb,
    TextItem, WindingOrder,
};

/// A4 portrait, in points.
pub const PAGE_W: f32 = 595.28;
/// A4 portrait, in points.
pub const PAGE_H: f32 = 841.89;
/// Left and right margin.
pub const MARGIN: f32 = 40.0;
/// Lowest baseline content may use (the footer sits below it).
const BOTTOM: f32 = 60.0;
/// Height of one table row.
const ROW_H: f32 = 13.0;
/// Size of table text.
const TABLE_SIZE: f32 = 8.0;

/// An RGB colour from 0–255 components.
pub fn rgb(r: u8, g: u8, b: u8) -> Color {
    Color::Rgb(Rgb {
        r: f32::from(r) / 255.0,
        g: f32::from(g) / 255.0,
        b: f32::from(b) / 255.0,
        icc_profile: None,
    })
}

/// Text colour.
pub fn ink() -> Color {
    rgb(33, 37, 41)
}

/// Where a column's text sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    /// Left edge.
    Left,
    /// Right edge (numbers).
    Right,
}

/// A table column: title, width in points, alignment.
pub struct Column<'a> {
    /// Header text.
    pub title: &'a str,
    /// Width in points.
    pub width: f32,
    /// Alignment of header and cells.
    pub align: Align,
}

/// Pages being laid out.
pub struct Canvas<'f> {
    font: &'f ParsedFont,
    font_id: FontId,
    pages: Vec<Vec<Op>>,
    ops: Vec<Op>,
    /// Baseline of the next line, from the page's bottom.
    pub y: f32,
}

impl<'f> Canvas<'f> {
    /// An empty first page.
    pub fn new(font: &'f ParsedFont, font_id: FontId) -> Self {
        Self {
            font,
            font_id,
            pages: Vec::new(),
            ops: Vec::new(),
            y: PAGE_H - MARGIN,
        }
    }

    /// Width of `text` at `size` points.
    pub fn width(&self, text: &str, size: f32) -> f32 {
        let per_em = f32::from(self.font.units_per_em.max(1));
        let units: u32 = text
            .chars()
            .map(|c| {
                self.font
                    .lookup_glyph_index(c as u32)
                    .and_then(|g| self.font.get_glyph_width(g))
                    .map_or(500, u32::from)
            })
            .sum();
        units as f32 / per_em * size
    }

    /// `text` shortened with "…" to fit `max` points.
    pub fn fit(&self, text: &str, size: f32, max: f32) -> String {
        if self.width(text, size) <= max {
            return text.to_owned();
        }
        let mut out: String = text.to_owned();
        while !out.is_empty() && self.width(&format!("{out}…"), size) > max {
            out.pop();
        }
        format!("{out}…")
    }

    /// Text with its left end at `x`, baseline `y`.
    pub fn text(&mut self, x: f32, y: f32, size: f32, color: Color, text: &str) {
        self.ops.extend([
            Op::StartTextSection,
            Op::SetFillColor { col: color },
            Op::SetFont {
                font: PdfFontHandle::External(self.font_id.clone()),
                size: Pt(size),
            },
            Op::SetTextCursor {
                pos: Point { x: Pt(x), y: Pt(y) },
            },
            Op::ShowText {
                items: vec![TextItem::Text(text.to_owned())],
            },
            Op::EndTextSection,
        ]);
    }

    /// Text with its right end at `right`.
    pub fn text_right(&mut self, right: f32, y: f32, size: f32, color: Color, text: &str) {
        let x = right - self.width(text, size);
        self.text(x, y, size, color, text);
    }

    /// A filled rectangle with its lower-left corner at (`x`, `y`).
    pub fn fill_rect(&mut self, x: f32, y: f32, w: f32, h: f32, color: Color) {
        self.ops.push(Op::SetFillColor { col: color });
        self.ops.push(Op::DrawRectangle {
            rectangle: Rect {
                x: Pt(x),
                y: Pt(y),
                width: Pt(w),
                height: Pt(h),
                mode: Some(PaintMode::Fill),
                winding_order: Some(WindingOrder::NonZero),
            },
        });
    }

    /// A straight line.
    pub fn line(&mut self, from: (f32, f32), to: (f32, f32), width: f32, color: Color) {
        let point = |(x, y): (f32, f32)| LinePoint {
            p: Point { x: Pt(x), y: Pt(y) },
            bezier: false,
        };
        self.ops.push(Op::SetOutlineColor { col: color });
        self.ops.push(Op::SetOutlineThickness { pt: Pt(width) });
        self.ops.push(Op::DrawLine {
            line: Line {
                points: vec![point(from), point(to)],
                is_closed: false,
            },
        });
    }

    /// Starts a new page.
    pub fn new_page(&mut self) {
        self.pages.push(std::mem::take(&mut self.ops));
        self.y = PAGE_H - MARGIN;
    }

    /// Makes room for `height` points below the cursor, on a new page if needed.
    pub fn ensure(&mut self, height: f32) {
        if self.y - height < BOTTOM {
            self.new_page();
        }
    }

    /// A section title, kept on the same page as at least `keep` points of what follows.
    pub fn heading(&mut self, text: &str, keep: f32) {
        self.ensure(24.0 + keep);
        self.y -= 8.0;
        self.text(MARGIN, self.y, 12.0, rgb(13, 71, 161), text);
        self.y -= 14.0;
    }

    /// A line of small text.
    pub fn note(&mut self, text: &str) {
        self.ensure(12.0);
        let fitted = self.fit(text, 7.5, PAGE_W - 2.0 * MARGIN);
        self.text(MARGIN, self.y, 7.5, rgb(90, 90, 90), &fitted);
        self.y -= 12.0;
    }

    fn table_header(&mut self, columns: &[Column<'_>]) {
        let width: f32 = columns.iter().map(|c| c.width).sum();
        self.fill_rect(MARGIN, self.y - 4.0, width, ROW_H, rgb(224, 231, 241));
        self.cells(columns, columns.iter().map(|c| c.title.to_owned()));
        self.y -= ROW_H;
    }

    fn cells(&mut self, columns: &[Column<'_>], cells: impl Iterator<Item = String>) {
        let mut x = MARGIN;
        for (column, cell) in columns.iter().zip(cells) {
            let fitted = self.fit(&cell, TABLE_SIZE, column.width - 6.0);
            match column.align {
                Align::Left => self.text(x + 3.0, self.y, TABLE_SIZE, ink(), &fitted),
                Align::Right => {
                    self.text_right(x + column.width - 3.0, self.y, TABLE_SIZE, ink(), &fitted)
                }
            }
            x += column.width;
        }
    }

    /// A table; when it crosses a page, the header is drawn again at the top.
    pub fn table(&mut self, columns: &[Column<'_>], rows: impl IntoIterator<Item = Vec<String>>) {
        self.ensure(ROW_H * 3.0);
        self.table_header(columns);
        let width: f32 = columns.iter().map(|c| c.width).sum();
        for (i, row) in rows.into_iter().enumerate() {
            if self.y - ROW_H < BOTTOM {
                self.new_page();
                self.table_header(columns);
            }
            if i % 2 == 1 {
                self.fill_rect(MARGIN, self.y - 4.0, width, ROW_H, rgb(246, 248, 250));
            }
            self.cells(columns, row.into_iter());
            self.y -= ROW_H;
        }
        self.y -= 6.0;
    }

    /// Closes the last page, stamps every page's footer (`left` text and "Página 1/3")
    /// and returns every page's operations.
    pub fn finish(mut self, left: &str, page_word: &str) -> Vec<Vec<Op>> {
        if !self.ops.is_empty() || self.pages.is_empty() {
            self.pages.push(std::mem::take(&mut self.ops));
        }
        let total = self.pages.len();
        let mut pages = std::mem::take(&mut self.pages);
        for (i, page) in pages.iter_mut().enumerate() {
            self.ops = std::mem::take(page);
            self.line(
                (MARGIN, 42.0),
                (PAGE_W - MARGIN, 42.0),
                0.5,
                rgb(180, 180, 180),
            );
            let left = self.fit(left, 7.5, PAGE_W - 2.0 * MARGIN - 80.0);
            self.text(MARGIN, 30.0, 7.5, rgb(90, 90, 90), &left);
            let number = format!("{page_word} {}/{total}", i + 1);
            self.text_right(PAGE_W - MARGIN, 30.0, 7.5, rgb(90, 90, 90), &number);
            *page = std::mem::take(&mut self.ops);
        }
        pages
    }
}
