// SPDX-License-Identifier: GPL-2.0

//! Temperatures as hwmon shows them (C `drivers/nvme/host/hwmon.c`): the
//! composite temperature and up to eight sensors from the SMART / Health
//! log, their thresholds through the Temperature Threshold feature, and
//! which of a controller's sensor attributes exist and may be written.

use super::quirks::Quirks;

/// Sensors hwmon shows: the composite temperature (channel 0), then
/// Temperature Sensors 1 to 8.
pub const CHANNELS: usize = 9;

/// The channels' labels, as C's.
pub const LABELS: [&core::ffi::CStr; CHANNELS] = [
    c"Composite",
    c"Sensor 1",
    c"Sensor 2",
    c"Sensor 3",
    c"Sensor 4",
    c"Sensor 5",
    c"Sensor 6",
    c"Sensor 7",
    c"Sensor 8",
];

/// SMART critical warning bit: a temperature is outside its thresholds.
const CRITICAL_TEMPERATURE: u8 = 1 << 1;

/// Kelvin to millidegrees Celsius (C `kelvin_to_millicelsius`).
pub fn kelvin_to_millicelsius(kelvin: u16) -> i64 {
    i64::from(kelvin) * 1000 - 273_150
}

/// Millidegrees Celsius to whole kelvin, rounded to the closest and kept
/// to what the threshold field holds (C `millicelsius_to_kelvin` and
/// `clamp_val(temp, 0, NVME_TEMP_THRESH_MASK)`).
pub fn millicelsius_to_kelvin(millicelsius: i64) -> u16 {
    let shifted = millicelsius.saturating_add(273_150);
    if shifted <= 0 {
        return 0;
    }
    u16::try_from(shifted.saturating_add(500) / 1000).unwrap_or(u16::MAX)
}

/// Which threshold of a sensor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Threshold {
    /// Over temperature (hwmon `max`).
    Over,
    /// Under temperature (hwmon `min`).
    Under,
}

/// CDW11 of Get or Set Features, Temperature Threshold, for `channel`'s
/// `threshold`, with the value `kelvin` (ignored by Get Features): TMPTH
/// in bits 15:0, TMPSEL in 19:16 (0 the composite), THSEL in 21:20.
pub fn threshold_dword(channel: u8, threshold: Threshold, kelvin: u16) -> u32 {
    let under = match threshold {
        Threshold::Over => 0,
        Threshold::Under => 1 << 20,
    };
    u32::from(kelvin) | u32::from(channel & 0xf) << 16 | under
}

/// The threshold in a Get Features completion's dword 0, in kelvin.
pub fn threshold_of(result: u32) -> u16 {
    result as u16
}

/// What the SMART / Health log says about temperatures.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SmartTemperatures {
    /// Critical warning bits (byte 0).
    pub critical_warning: u8,
    /// Composite temperature in kelvin (bytes 2:1).
    pub composite: u16,
    /// Temperature Sensors 1 to 8 in kelvin, 0 where absent (bytes
    /// 215:200).
    pub sensors: [u16; CHANNELS - 1],
}

impl SmartTemperatures {
    /// Reads them from the log's first 216 bytes; `None` if shorter.
    pub fn parse(log: &[u8]) -> Option<Self> {
        let log = log.get(..216)?;
        let word = |at: usize| u16::from_le_bytes([log[at], log[at + 1]]);
        Some(SmartTemperatures {
            critical_warning: log[0],
            composite: word(1),
            sensors: core::array::from_fn(|i| word(200 + 2 * i)),
        })
    }

    /// Channel `channel`'s temperature in kelvin.
    pub fn kelvin(&self, channel: usize) -> Option<u16> {
        match channel {
            0 => Some(self.composite),
            n => self.sensors.get(n - 1).copied(),
        }
    }

    /// Whether a temperature is outside its thresholds (hwmon `alarm`).
    pub fn alarm(&self) -> bool {
        self.critical_warning & CRITICAL_TEMPERATURE != 0
    }
}

/// A sensor attribute hwmon may show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Attribute {
    /// The temperature.
    Input,
    /// The over temperature threshold.
    Max,
    /// The under temperature threshold.
    Min,
    /// The critical composite temperature (CCTEMP).
    Crit,
    /// A temperature is outside its thresholds.
    Alarm,
    /// The channel's name.
    Label,
}

/// What a controller's sensors are, for [`visibility`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SensorFacts {
    /// Warning Composite Temperature Threshold (WCTEMP), kelvin, 0 if none.
    pub wctemp: u16,
    /// Critical Composite Temperature Threshold (CCTEMP), kelvin, 0 if none.
    pub cctemp: u16,
    /// The SMART log as read when the sensors were registered.
    pub smart: SmartTemperatures,
    /// The controller's quirks.
    pub quirks: Quirks,
}

/// The file mode of `attribute` of `channel`: 0 where it does not exist,
/// read-only, or read-write (C `nvme_hwmon_is_visible`).
pub fn visibility(facts: &SensorFacts, attribute: Attribute, channel: usize) -> u16 {
    let present = channel == 0 || facts.smart.kelvin(channel).is_some_and(|k| k != 0);
    match attribute {
        Attribute::Crit if channel == 0 && facts.cctemp != 0 => 0o444,
        Attribute::Max | Attribute::Min => {
            let has_threshold = if channel == 0 {
                facts.wctemp != 0
            } else {
                present && !facts.quirks.has(Quirks::NO_SECONDARY_TEMP_THRESH)
            };
            match (
                has_threshold,
                facts.quirks.has(Quirks::NO_TEMP_THRESH_CHANGE),
            ) {
                (false, _) => 0,
                (true, true) => 0o444,
                (true, false) => 0o644,
            }
        }
        Attribute::Alarm if channel == 0 => 0o444,
        Attribute::Input | Attribute::Label if present && channel < CHANNELS => 0o444,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions_match_c() {
        assert_eq!(kelvin_to_millicelsius(323), 49_850);
        assert_eq!(kelvin_to_millicelsius(0), -273_150);
        assert_eq!(millicelsius_to_kelvin(49_850), 323);
        assert_eq!(millicelsius_to_kelvin(70_000), 343);
        // 343.15 rounds down, 343.65 up.
        assert_eq!(millicelsius_to_kelvin(70_500), 344);
        assert_eq!(millicelsius_to_kelvin(70_349), 343);
        assert_eq!(millicelsius_to_kelvin(-300_000), 0);
        assert_eq!(millicelsius_to_kelvin(i64::MIN), 0);
        assert_eq!(millicelsius_to_kelvin(i64::MAX), u16::MAX);
        assert_eq!(millicelsius_to_kelvin(100_000_000), u16::MAX);
    }

    #[test]
    fn threshold_dword_layout() {
        assert_eq!(threshold_dword(0, Threshold::Over, 343), 343);
        assert_eq!(threshold_dword(0, Threshold::Under, 273), 273 | 1 << 20);
        assert_eq!(threshold_dword(3, Threshold::Over, 0), 3 << 16);
        assert_eq!(threshold_of(0x0015_0157), 0x157);
    }

    #[test]
    fn smart_log_fields() {
        let mut log = [0u8; 512];
        log[0] = 0x02;
        log[1..3].copy_from_slice(&323u16.to_le_bytes());
        log[202..204].copy_from_slice(&310u16.to_le_bytes());
        let t = SmartTemperatures::parse(&log).unwrap();
        assert_eq!(t.kelvin(0), Some(323));
        assert_eq!(t.kelvin(1), Some(0));
        assert_eq!(t.kelvin(2), Some(310));
        assert_eq!(t.kelvin(9), None);
        assert!(t.alarm());
        assert_eq!(SmartTemperatures::parse(&log[..215]), None);
    }

    fn facts(quirks: Quirks) -> SensorFacts {
        let mut smart = SmartTemperatures::default();
        smart.sensors[1] = 310;
        SensorFacts {
            wctemp: 343,
            cctemp: 373,
            smart,
            quirks,
        }
    }

    #[test]
    fn composite_and_present_sensors_only() {
        let f = facts(Quirks::NONE);
        assert_eq!(visibility(&f, Attribute::Input, 0), 0o444);
        assert_eq!(visibility(&f, Attribute::Label, 0), 0o444);
        assert_eq!(visibility(&f, Attribute::Alarm, 0), 0o444);
        assert_eq!(visibility(&f, Attribute::Crit, 0), 0o444);
        assert_eq!(visibility(&f, Attribute::Max, 0), 0o644);
        assert_eq!(visibility(&f, Attribute::Min, 0), 0o644);
        // Sensor 1 is absent, sensor 2 present.
        for attr in [
            Attribute::Input,
            Attribute::Label,
            Attribute::Max,
            Attribute::Min,
        ] {
            assert_eq!(visibility(&f, attr, 1), 0);
        }
        assert_eq!(visibility(&f, Attribute::Input, 2), 0o444);
        assert_eq!(visibility(&f, Attribute::Max, 2), 0o644);
        assert_eq!(visibility(&f, Attribute::Crit, 2), 0);
        assert_eq!(visibility(&f, Attribute::Alarm, 2), 0);
        assert_eq!(visibility(&f, Attribute::Input, 9), 0);
    }

    #[test]
    fn no_thresholds_without_wctemp_or_with_quirks() {
        let mut f = facts(Quirks::NONE);
        f.wctemp = 0;
        f.cctemp = 0;
        assert_eq!(visibility(&f, Attribute::Max, 0), 0);
        assert_eq!(visibility(&f, Attribute::Crit, 0), 0);
        assert_eq!(visibility(&f, Attribute::Max, 2), 0o644);
        let f = facts(Quirks::NO_TEMP_THRESH_CHANGE);
        assert_eq!(visibility(&f, Attribute::Max, 0), 0o444);
        assert_eq!(visibility(&f, Attribute::Min, 2), 0o444);
        let f = facts(Quirks::NO_SECONDARY_TEMP_THRESH);
        assert_eq!(visibility(&f, Attribute::Max, 0), 0o644);
        assert_eq!(visibility(&f, Attribute::Max, 2), 0);
        assert_eq!(visibility(&f, Attribute::Input, 2), 0o444);
    }
}
