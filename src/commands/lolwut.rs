//! LOLWUT [VERSION v] [args…]: a piece of computer art and the version.
//!
//! As in Redis 7.0: version 5 draws Georg Nees's "Schotter" (squares more
//! and more disordered row after row) in Braille characters, each one a 2×4
//! block of pixels; version 6 draws a random city skyline in the four grays
//! of a terminal; any other version (7.0 itself, by default) answers the
//! version line only. The art is random, so only its shape and the closing
//! line can be compared with Redis's. Sizes are clamped as Redis clamps
//! them, so the command stays cheap whatever is asked.

use bytes::Bytes;
use rand::RngExt;

use super::{Handler, is};
use crate::net::Client;
use crate::server::Server;
use crate::util::num::parse_i64;

pub const COMMANDS: &[(&str, Handler)] = &[("lolwut", lolwut)];

fn lolwut(_: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let mut version = crate::REDIS_VERSION.to_string();
    let mut args = &argv[1..];
    if argv.len() >= 3 && is(&argv[1], "version") {
        let Some(v) = parse_i64(&argv[2]) else {
            return c.reply.err(super::NOT_INTEGER);
        };
        version = format!("{}.0.0", v as u32);
        args = &argv[3..];
    }
    // Redis's rule: 4.9 and 5.x draw version 5, 5.9 and 6.x version 6.
    let text = if version.starts_with("5.") && !version.starts_with("5.9")
        || version.starts_with("4.9")
    {
        let Some(n) = numbers(c, args, &[66, 8, 12]) else {
            return;
        };
        schotter(n[0].clamp(1, 1000), n[1].clamp(1, 200), n[2].clamp(1, 200))
    } else if version.starts_with("6.") && !version.starts_with("6.9") || version.starts_with("5.9")
    {
        let Some(n) = numbers(c, args, &[80, 20]) else {
            return;
        };
        skyline(n[0].clamp(1, 1000), n[1].clamp(1, 1000))
    } else {
        format!("Redis ver. {}\n", crate::REDIS_VERSION)
    };
    c.reply.verbatim(text.as_bytes(), "txt");
}

/// The optional integer arguments, defaults for those not given.
fn numbers(c: &mut Client, args: &[Bytes], defaults: &[i64]) -> Option<Vec<i64>> {
    let mut out = defaults.to_vec();
    for (slot, a) in out.iter_mut().zip(args) {
        *slot = super::arg_i64(c, a)?;
    }
    Some(out)
}

/// A grid of pixels, each a color index; drawing outside is ignored.
struct Canvas {
    width: i64,
    height: i64,
    pixels: Vec<u8>,
}

impl Canvas {
    fn new(width: i64, height: i64, color: u8) -> Canvas {
        Canvas {
            width,
            height,
            pixels: vec![color; (width * height) as usize],
        }
    }

    fn set(&mut self, x: i64, y: i64, color: u8) {
        if (0..self.width).contains(&x) && (0..self.height).contains(&y) {
            self.pixels[(x + y * self.width) as usize] = color;
        }
    }

    fn get(&self, x: i64, y: i64) -> u8 {
        if (0..self.width).contains(&x) && (0..self.height).contains(&y) {
            self.pixels[(x + y * self.width) as usize]
        } else {
            0
        }
    }

    /// Bresenham's line.
    fn line(&mut self, (mut x1, mut y1): (i64, i64), (x2, y2): (i64, i64)) {
        let (dx, dy) = ((x2 - x1).abs(), (y2 - y1).abs());
        let (sx, sy) = (if x1 < x2 { 1 } else { -1 }, if y1 < y2 { 1 } else { -1 });
        let mut err = dx - dy;
        loop {
            self.set(x1, y1, 1);
            if x1 == x2 && y1 == y2 {
                break;
            }
            let e2 = err * 2;
            if e2 > -dy {
                err -= dy;
                x1 += sx;
            }
            if e2 < dx {
                err += dx;
                y1 += sy;
            }
        }
    }

    /// A square of side `size` centred on (x, y), turned by `angle`: its
    /// corners are on the circle through them.
    fn square(&mut self, x: i64, y: i64, size: f64, angle: f64) {
        let r = (size / std::f64::consts::SQRT_2).round();
        let corner = |j: usize| {
            let k = std::f64::consts::FRAC_PI_4 + angle + j as f64 * std::f64::consts::FRAC_PI_2;
            (
                (k.sin() * r + x as f64).round() as i64,
                (k.cos() * r + y as f64).round() as i64,
            )
        };
        for j in 0..4 {
            self.line(corner(j), corner((j + 1) % 4));
        }
    }
}

/// Version 5: Schotter, `cols` terminal columns wide.
fn schotter(cols: i64, per_row: i64, per_col: i64) -> String {
    let width = cols * 2;
    let padding = if width > 4 { 2 } else { 0 };
    let side = (width - padding * 2) as f64 / per_row as f64;
    let height = (side * per_col as f64) as i64 + padding * 2;
    let mut canvas = Canvas::new(width, height, 0);
    let mut rng = rand::rng();
    for y in 0..per_col {
        for x in 0..per_row {
            let mut sx = (x as f64 * side + side / 2.0) as i64 + padding;
            let mut sy = (y as f64 * side + side / 2.0) as i64 + padding;
            let mut angle = 0.0;
            // Disorder grows with the row.
            if y > 1 {
                let mut jitter = || {
                    let v: f64 = rng.random::<f64>() / per_col as f64 * y as f64;
                    if rng.random::<bool>() { -v } else { v }
                };
                angle = jitter();
                sx += (jitter() * side / 3.0) as i64;
                sy += (jitter() * side / 3.0) as i64;
            }
            canvas.square(sx, sy, side, angle);
        }
    }
    let mut out = String::new();
    let mut y = 0;
    while y < canvas.height {
        for x in (0..canvas.width).step_by(2) {
            // Braille dots: 0 3 / 1 4 / 2 5 / 6 7.
            let dots = [
                (0, 0),
                (0, 1),
                (0, 2),
                (1, 0),
                (1, 1),
                (1, 2),
                (0, 3),
                (1, 3),
            ];
            let mut code = 0u32;
            for (bit, (dx, dy)) in dots.iter().enumerate() {
                if canvas.get(x + dx, y + dy) != 0 {
                    code |= 1 << bit;
                }
            }
            out.push(char::from_u32(0x2800 + code).unwrap_or(' '));
        }
        if y != canvas.height - 1 {
            out.push('\n');
        }
        y += 4;
    }
    out.push_str("\nGeorg Nees - schotter, plotter on paper, 1968. Redis ver. ");
    out.push_str(crate::REDIS_VERSION);
    out.push('\n');
    out
}

/// Version 6: a skyline of `cols` × `rows` terminal cells.
fn skyline(cols: i64, rows: i64) -> String {
    let mut canvas = Canvas::new(cols, rows, 3);
    let mut rng = rand::rng();
    let mut tower = |canvas: &mut Canvas, xoff: i64, width: i64, height: i64, color: u8| {
        let bottom = canvas.height - 1;
        let top = bottom - height + 1;
        let windows = color == 0;
        for y in (top..=bottom).rev() {
            for x in xoff..xoff + width {
                // The roof is narrower.
                if y == top && (x <= xoff + 1 || x >= xoff + width - 2) {
                    continue;
                }
                let mut c = color;
                if windows && x > xoff + 1 && x < xoff + width - 2 && y > top + 1 && y < bottom - 1
                {
                    let (relx, rely) = (x - (xoff + 1), y - (top + 1));
                    if (relx / 2) % 2 == 1 && rely % 2 == 1 {
                        c = if relx % 2 == 1 {
                            canvas.get(x - 1, y)
                        } else {
                            rng.random_range(1..=2)
                        };
                    }
                }
                canvas.set(x, y, c);
            }
        }
    };
    let mut r = rand::rng();
    // Two passes of background towers, lighter ones behind.
    for color in [2u8, 1] {
        let mut offset = -10;
        while offset < canvas.width {
            offset += r.random_range(0..8);
            let width = 10 + r.random_range(0..9);
            let height = canvas.height / 2
                + r.random_range(0..canvas.height.max(1)) / if color == 2 { 2 } else { 3 };
            tower(&mut canvas, offset, width, height, color);
            offset += if color == 2 { width / 2 } else { width + 1 };
        }
    }
    let mut offset = -10;
    while offset < canvas.width {
        offset += r.random_range(0..8);
        let mut width = 5 + r.random_range(0..14);
        if width % 4 != 0 {
            width += width % 3;
        }
        let height = canvas.height / 3 + r.random_range(0..canvas.height.max(1)) / 2;
        tower(&mut canvas, offset, width, height, 0);
        offset += width + 5;
    }
    let mut out = String::new();
    for y in 0..canvas.height {
        for x in 0..canvas.width {
            let escape = match canvas.get(x, y) {
                1 => "0;90;100m",
                2 => "0;37;47m",
                3 => "0;97;107m",
                _ => "0;30;40m",
            };
            out.push_str("\x1b[");
            out.push_str(escape);
            out.push_str(" \x1b[0m");
        }
        if y != canvas.height - 1 {
            out.push('\n');
        }
    }
    out.push_str(
        "\nDedicated to the 8 bit game developers of past and present.\nOriginal 8 bit image from Plaguemon by hikikomori. Redis ver. ",
    );
    out.push_str(crate::REDIS_VERSION);
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schotter_has_the_shape_of_redis_output() {
        let art = schotter(66, 8, 12);
        let lines: Vec<&str> = art.lines().collect();
        // 132 x 2 pixels wide → 66 Braille cells per line.
        assert_eq!(lines[0].chars().count(), 66);
        assert!(lines.last().unwrap().starts_with("Georg Nees - schotter"));
        // The first row of squares is straight: the top edge is one line.
        assert!(
            lines[0]
                .chars()
                .all(|ch| ('\u{2800}'..='\u{28ff}').contains(&ch))
        );
        let tiny = schotter(1, 1, 1);
        assert!(tiny.ends_with(&format!("Redis ver. {}\n", crate::REDIS_VERSION)));
    }

    #[test]
    fn skyline_is_cols_by_rows() {
        let art = skyline(10, 3);
        let lines: Vec<&str> = art.lines().collect();
        assert_eq!(lines.len(), 3 + 2);
        assert_eq!(lines[0].matches("\x1b[0m").count(), 10);
    }
}
