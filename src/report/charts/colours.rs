//! Fixed colours, so that a code or a cause looks the same in every report.

use super::*;

pub(super) const BLUE: RGBColor = RGBColor(31, 119, 180);
pub(super) const ORANGE: RGBColor = RGBColor(255, 127, 14);
pub(super) const GREEN: RGBColor = RGBColor(44, 160, 44);
pub(super) const RED: RGBColor = RGBColor(214, 39, 40);
pub(super) const LIGHT_GREEN: RGBColor = RGBColor(200, 232, 200);
pub(super) const GREY_OTHER: RGBColor = RGBColor(160, 160, 160);
pub(super) const TEXT_GREY: RGBColor = RGBColor(80, 80, 80);

pub(super) fn category_color(c: Category) -> RGBColor {
    match c {
        Category::Success => GREEN,
        Category::Timeout => RGBColor(255, 127, 14),
        Category::Rejected => RGBColor(240, 100, 80),
        Category::Cancelled => RGBColor(150, 150, 190),
        Category::Error => RED,
        Category::Redirected => BLUE,
        Category::NoAnswer => RGBColor(150, 20, 30),
        Category::Incomplete => RGBColor(190, 190, 190),
    }
}

pub(super) fn code_color(code: u16, rank: usize) -> RGBColor {
    const SPARE: [RGBColor; 8] = [
        RGBColor(219, 219, 141),
        RGBColor(57, 59, 121),
        RGBColor(247, 182, 210),
        RGBColor(140, 162, 82),
        RGBColor(189, 158, 57),
        RGBColor(132, 60, 57),
        RGBColor(123, 65, 115),
        RGBColor(82, 84, 163),
    ];
    match code {
        200 => GREEN,
        201..=299 => RGBColor(152, 223, 138),
        300..=399 => BLUE,
        401 => RGBColor(174, 199, 232),
        407 => RGBColor(158, 218, 229),
        403 => RGBColor(148, 103, 189),
        404 => RGBColor(197, 176, 213),
        408 => RGBColor(255, 187, 120),
        480 => ORANGE,
        486 => RGBColor(140, 86, 75),
        487 => RGBColor(196, 156, 148),
        500 => RGBColor(227, 119, 194),
        502 => RGBColor(188, 189, 34),
        503 => RED,
        504 => RGBColor(255, 152, 150),
        603 => RGBColor(23, 190, 207),
        _ => SPARE[rank % SPARE.len()],
    }
}

pub(super) fn cause_color(c: FailureCause) -> RGBColor {
    match c {
        FailureCause::AuthRejected => BLUE,
        FailureCause::ChallengeUnanswered => RGBColor(174, 199, 232),
        FailureCause::Forbidden => RGBColor(148, 103, 189),
        FailureCause::NotFound => RGBColor(197, 176, 213),
        FailureCause::Timeout => RGBColor(255, 187, 120),
        FailureCause::IntervalTooBrief => RGBColor(188, 189, 34),
        FailureCause::ServerError => RGBColor(227, 119, 194),
        FailureCause::ServiceUnavailable => RED,
        FailureCause::NoResponse => RGBColor(90, 90, 90),
        FailureCause::NoFinalResponse => RGBColor(170, 170, 170),
        FailureCause::Other => RGBColor(23, 190, 207),
    }
}
