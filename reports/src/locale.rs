//! pt-BR and English: number and date formats and every label a report prints.
//!
//! Dates: pt-BR writes `31/12/2026`; English writes ISO `2026-12-31`, which no reader
//! misreads (an American `12/31` and a British `31/12` both would be misread by someone).

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

use crate::model::{MeterKind, PeriodKind};

/// A report's language and formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Locale {
    /// Brazilian Portuguese: `1.234,56`, `31/12/2026`.
    PtBr,
    /// English: `1,234.56`, `2026-12-31`.
    En,
}

impl Locale {
    /// The locale of an account setting (`pt-BR`, `en` …); Portuguese unless English.
    pub fn from_tag(tag: &str) -> Self {
        if tag.trim().to_ascii_lowercase().starts_with("en") {
            Self::En
        } else {
            Self::PtBr
        }
    }

    /// Thousands and decimal separators.
    fn separators(self) -> (char, char) {
        match self {
            Self::PtBr => ('.', ','),
            Self::En => (',', '.'),
        }
    }

    /// `value` with `decimals` places and grouped thousands: `1.234,56` / `1,234.56`.
    pub fn number(self, value: f64, decimals: usize) -> String {
        if !value.is_finite() {
            return "–".into();
        }
        let (group, point) = self.separators();
        let text = format!("{:.*}", decimals, value.abs());
        let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
        let mut out = String::with_capacity(text.len() + text.len() / 3 + 1);
        // "-0,00" would read as a negative consumption: the sign only when a digit shows.
        if value < 0.0 && text.chars().any(|c| c.is_ascii_digit() && c != '0') {
            out.push('-');
        }
        for (i, c) in int.chars().enumerate() {
            if i > 0 && (int.len() - i) % 3 == 0 {
                out.push(group);
            }
            out.push(c);
        }
        if !frac.is_empty() {
            out.push(point);
            out.push_str(frac);
        }
        out
    }

    /// A ratio (0–1) as a percentage with one decimal: `97,5 %` / `97.5%`.
    pub fn percent(self, ratio: f64) -> String {
        match self {
            Self::PtBr => format!("{} %", self.number(ratio * 100.0, 1)),
            Self::En => format!("{}%", self.number(ratio * 100.0, 1)),
        }
    }

    /// A local day: `31/12/2026` / `2026-12-31`.
    pub fn date(self, day: NaiveDate) -> String {
        match self {
            Self::PtBr => day.format("%d/%m/%Y").to_string(),
            Self::En => day.format("%Y-%m-%d").to_string(),
        }
    }

    /// A short day for chart axes: `31/12` / `12-31`.
    pub fn short_date(self, day: NaiveDate) -> String {
        match self {
            Self::PtBr => day.format("%d/%m").to_string(),
            Self::En => day.format("%m-%d").to_string(),
        }
    }

    /// An instant in time zone `tz`: `31/12/2026 23:59` / `2026-12-31 23:59`.
    pub fn date_time(self, time: DateTime<Utc>, tz: Tz) -> String {
        let local = time.with_timezone(&tz);
        match self {
            Self::PtBr => local.format("%d/%m/%Y %H:%M").to_string(),
            Self::En => local.format("%Y-%m-%d %H:%M").to_string(),
        }
    }

    /// Excel number format of a date-time cell.
    pub fn excel_date_time(self) -> &'static str {
        match self {
            Self::PtBr => "dd/mm/yyyy hh:mm:ss",
            Self::En => "yyyy-mm-dd hh:mm:ss",
        }
    }

    /// Excel number format of a date cell.
    pub fn excel_date(self) -> &'static str {
        match self {
            Self::PtBr => "dd/mm/yyyy",
            Self::En => "yyyy-mm-dd",
        }
    }

    /// The labels in this language.
    pub fn labels(self) -> &'static Labels {
        match self {
            Self::PtBr => &PT_BR,
            Self::En => &EN,
        }
    }
}

/// A CNPJ as printed: `12.345.678/0001-95` (other lengths unchanged).
pub fn format_cnpj(digits: &str) -> String {
    if digits.len() != 14 || !digits.chars().all(|c| c.is_ascii_digit()) {
        return digits.to_owned();
    }
    format!(
        "{}.{}.{}/{}-{}",
        &digits[0..2],
        &digits[2..5],
        &digits[5..8],
        &digits[8..12],
        &digits[12..14]
    )
}

/// Every text a report prints, in one language.
#[allow(missing_docs)]
#[derive(Debug)]
pub struct Labels {
    pub consumption_report: &'static str,
    pub comparison_report: &'static str,
    pub account: &'static str,
    pub tax_id: &'static str,
    pub period: &'static str,
    pub time_zone: &'static str,
    pub generated_at: &'static str,
    pub page: &'static str,
    pub totals: &'static str,
    pub kind: &'static str,
    pub devices: &'static str,
    pub device: &'static str,
    pub gateway: &'static str,
    pub code: &'static str,
    pub name: &'static str,
    pub unit: &'static str,
    pub consumption: &'static str,
    pub minimum: &'static str,
    pub average: &'static str,
    pub maximum: &'static str,
    pub completeness: &'static str,
    pub received: &'static str,
    pub expected: &'static str,
    pub day: &'static str,
    pub daily_consumption: &'static str,
    pub daily_totals: &'static str,
    pub comparison: &'static str,
    pub share: &'static str,
    pub daily_average: &'static str,
    pub rank: &'static str,
    pub time: &'static str,
    pub value: &'static str,
    pub summary_sheet: &'static str,
    pub daily_sheet: &'static str,
    pub readings_sheet: &'static str,
    pub no_devices: &'static str,
    pub excluded_units: &'static str,
    pub completeness_note: &'static str,
}

impl Labels {
    /// The name of a kind of meter.
    pub fn meter(&self, kind: MeterKind) -> &'static str {
        let pt = std::ptr::eq(self, &PT_BR);
        match (kind, pt) {
            (MeterKind::Water, true) => "Água",
            (MeterKind::Energy, true) => "Energia",
            (MeterKind::Gas, true) => "Gás",
            (MeterKind::Temperature, true) => "Temperatura",
            (MeterKind::Water, false) => "Water",
            (MeterKind::Energy, false) => "Energy",
            (MeterKind::Gas, false) => "Gas",
            (MeterKind::Temperature, false) => "Temperature",
        }
    }

    /// The name of a way of choosing the period.
    pub fn period_kind(&self, kind: PeriodKind) -> &'static str {
        let pt = std::ptr::eq(self, &PT_BR);
        match (kind, pt) {
            (PeriodKind::Day, true) => "Dia",
            (PeriodKind::Week, true) => "Semana",
            (PeriodKind::Month, true) => "Mês",
            (PeriodKind::Custom, true) => "Personalizado",
            (PeriodKind::Day, false) => "Day",
            (PeriodKind::Week, false) => "Week",
            (PeriodKind::Month, false) => "Month",
            (PeriodKind::Custom, false) => "Custom",
        }
    }
}

static PT_BR: Labels = Labels {
    consumption_report: "Relatório de consumo",
    comparison_report: "Comparação de dispositivos",
    account: "Conta",
    tax_id: "CNPJ",
    period: "Período",
    time_zone: "Fuso horário",
    generated_at: "Gerado em",
    page: "Página",
    totals: "Totais por tipo",
    kind: "Tipo",
    devices: "Dispositivos",
    device: "Dispositivo",
    gateway: "Gateway",
    code: "Código",
    name: "Nome",
    unit: "Unidade",
    consumption: "Consumo",
    minimum: "Mínimo",
    average: "Média",
    maximum: "Máximo",
    completeness: "Completude",
    received: "Recebidas",
    expected: "Esperadas",
    day: "Dia",
    daily_consumption: "Consumo diário",
    daily_totals: "Totais diários",
    comparison: "Comparação",
    share: "Participação",
    daily_average: "Média diária",
    rank: "Posição",
    time: "Data e hora",
    value: "Valor",
    summary_sheet: "Resumo",
    daily_sheet: "Diário",
    readings_sheet: "Leituras",
    no_devices: "Nenhum dispositivo selecionado.",
    excluded_units: "Fora do total (unidade não convertível)",
    completeness_note: "Completude = leituras recebidas ÷ esperadas pelo intervalo do gateway; abaixo de 95 % o número se apoia em lacunas.",
};

static EN: Labels = Labels {
    consumption_report: "Consumption report",
    comparison_report: "Device comparison",
    account: "Account",
    tax_id: "CNPJ",
    period: "Period",
    time_zone: "Time zone",
    generated_at: "Generated",
    page: "Page",
    totals: "Totals by kind",
    kind: "Kind",
    devices: "Devices",
    device: "Device",
    gateway: "Gateway",
    code: "Code",
    name: "Name",
    unit: "Unit",
    consumption: "Consumption",
    minimum: "Minimum",
    average: "Average",
    maximum: "Maximum",
    completeness: "Completeness",
    received: "Received",
    expected: "Expected",
    day: "Day",
    daily_consumption: "Daily consumption",
    daily_totals: "Daily totals",
    comparison: "Comparison",
    share: "Share",
    daily_average: "Daily average",
    rank: "Rank",
    time: "Time",
    value: "Value",
    summary_sheet: "Summary",
    daily_sheet: "Daily",
    readings_sheet: "Readings",
    no_devices: "No device selected.",
    excluded_units: "Left out of the total (unit does not convert)",
    completeness_note: "Completeness = readings received ÷ expected from the gateway's interval; below 95% a figure rests on gaps.",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_group_thousands_the_way_each_reader_expects() {
        assert_eq!(Locale::PtBr.number(1234.56, 2), "1.234,56");
        assert_eq!(Locale::En.number(1234.56, 2), "1,234.56");
        assert_eq!(Locale::PtBr.number(1_234_567.0, 0), "1.234.567");
        assert_eq!(Locale::En.number(999.999, 2), "1,000.00");
        assert_eq!(Locale::PtBr.number(-0.001, 2), "0,00");
        assert_eq!(Locale::En.number(-1500.0, 1), "-1,500.0");
        assert_eq!(Locale::PtBr.percent(0.975), "97,5 %");
        assert_eq!(Locale::En.percent(1.0), "100.0%");
    }

    #[test]
    fn dates_and_times_in_the_account_zone() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 31).unwrap();
        assert_eq!(Locale::PtBr.date(day), "31/12/2026");
        assert_eq!(Locale::En.date(day), "2026-12-31");
        let t: DateTime<Utc> = "2027-01-01T02:30:00Z".parse().unwrap();
        let sp: Tz = "America/Sao_Paulo".parse().unwrap();
        assert_eq!(Locale::PtBr.date_time(t, sp), "31/12/2026 23:30");
        assert_eq!(Locale::En.date_time(t, sp), "2026-12-31 23:30");
    }

    #[test]
    fn cnpj_and_labels() {
        assert_eq!(format_cnpj("11222333000181"), "11.222.333/0001-81");
        assert_eq!(Locale::from_tag("en-US"), Locale::En);
        assert_eq!(Locale::from_tag("pt-BR"), Locale::PtBr);
        assert_eq!(Locale::PtBr.labels().meter(MeterKind::Water), "Água");
        assert_eq!(Locale::En.labels().meter(MeterKind::Gas), "Gas");
    }
}
