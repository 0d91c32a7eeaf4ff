//! The daily consumption chart, drawn as vector bars and grid lines (no image).

use super::canvas::{Canvas, MARGIN, PAGE_W, ink, rgb};
use crate::locale::Locale;

/// Height of the plot area.
const PLOT_H: f32 = 150.0;
/// Room left of the plot for the value axis labels.
const AXIS_W: f32 = 48.0;

/// A step for about four grid lines up to `max`: 1, 2, 2.5 or 5 times a power of ten.
pub fn nice_step(max: f64) -> f64 {
    if max <= 0.0 || !max.is_finite() {
        return 1.0;
    }
    let raw = max / 4.0;
    let power = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .map(|m| m * power)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * power)
}

/// A bar per day of `values` (the day labels in `labels`), titled `title`.
pub fn daily_bars(
    canvas: &mut Canvas<'_>,
    title: &str,
    labels: &[String],
    values: &[f64],
    locale: Locale,
) {
    canvas.heading(title, PLOT_H + 30.0);
    let top = canvas.y - 4.0;
    let bottom = top - PLOT_H;
    let left = MARGIN + AXIS_W;
    let right = PAGE_W - MARGIN;
    let max = values.iter().copied().fold(0.0_f64, f64::max);
    let step = nice_step(max);
    let ceiling = (max / step).ceil().max(1.0) * step;
    let decimals = if step >= 1.0 { 0 } else { 2 };
    let grid = rgb(210, 214, 220);
    let mut tick = 0.0;
    while tick <= ceiling + step / 2.0 {
        let y = bottom + (tick / ceiling) as f32 * PLOT_H;
        canvas.line((left, y), (right, y), 0.4, grid.clone());
        canvas.text_right(
            left - 4.0,
            y - 2.5,
            7.0,
            ink(),
            &locale.number(tick, decimals),
        );
        tick += step;
    }
    canvas.line((left, bottom), (left, top), 0.8, ink());
    canvas.line((left, bottom), (right, bottom), 0.8, ink());
    let n = values.len().max(1);
    let slot = (right - left) / n as f32;
    let bar = (slot * 0.7).max(0.5);
    // Label every day when they fit, otherwise every k-th day.
    let label_every = ((n as f32 * 24.0) / (right - left)).ceil().max(1.0) as usize;
    for (i, value) in values.iter().enumerate() {
        let x = left + slot * i as f32 + (slot - bar) / 2.0;
        let h = (value / ceiling) as f32 * PLOT_H;
        if h > 0.0 {
            canvas.fill_rect(x, bottom, bar, h, rgb(25, 118, 210));
        }
        if i % label_every == 0
            && let Some(label) = labels.get(i)
        {
            let w = canvas.width(label, 6.5);
            canvas.text(x + bar / 2.0 - w / 2.0, bottom - 10.0, 6.5, ink(), label);
        }
    }
    canvas.y = bottom - 24.0;
}

#[cfg(test)]
mod tests {
    use super::nice_step;

    #[test]
    fn grid_steps_are_round_numbers() {
        assert_eq!(nice_step(100.0), 25.0);
        assert_eq!(nice_step(9.0), 2.5);
        assert_eq!(nice_step(1234.0), 500.0);
        assert_eq!(nice_step(0.0), 1.0);
    }
}
