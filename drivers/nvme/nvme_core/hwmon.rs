// SPDX-License-Identifier: GPL-2.0

//! The controller's temperature sensors in hwmon (C `hwmon.c`): the
//! composite temperature and each sensor the SMART / Health log reports,
//! with their over and under thresholds through the Temperature Threshold
//! feature and the critical composite temperature from Identify. Which
//! attributes exist is [`crate::spec::temperature::visibility`]'s
//! decision, made once from the log read at registration.

use super::ctrl::Ctrl;
use crate::dev_warn;
use crate::kernel_ext::device::Device;
use crate::kernel_ext::hwmon::{Registration, TempAttribute, TemperatureSensors};
use crate::spec::async_event::{SMART_LOG, SMART_LOG_SIZE};
use crate::spec::command::{Command, FeatureId};
use crate::spec::temperature::{
    kelvin_to_millicelsius, millicelsius_to_kelvin, threshold_dword, threshold_of, visibility,
    Attribute, SensorFacts, SmartTemperatures, Threshold, CHANNELS, LABELS,
};
use kernel::prelude::*;
use kernel::str::CStr;
use kernel::sync::Arc;

/// A controller's sensors, as hwmon reads and writes them.
pub struct Sensors {
    ctrl: Arc<Ctrl>,
    facts: SensorFacts,
}

/// The registered sensors of a controller, unregistered when dropped.
pub type Hwmon = Registration<Sensors>;

fn attribute(attr: TempAttribute) -> Attribute {
    match attr {
        TempAttribute::Input => Attribute::Input,
        TempAttribute::Max => Attribute::Max,
        TempAttribute::Min => Attribute::Min,
        TempAttribute::Crit => Attribute::Crit,
        TempAttribute::Alarm => Attribute::Alarm,
        TempAttribute::Label => Attribute::Label,
    }
}

/// The attributes each channel may have, as C lists them: only the
/// composite temperature has a critical value and an alarm.
const COMPOSITE: &[TempAttribute] = &TempAttribute::ALL;
const SENSOR: &[TempAttribute] = &[
    TempAttribute::Input,
    TempAttribute::Max,
    TempAttribute::Min,
    TempAttribute::Label,
];

impl Sensors {
    /// Registers `ctrl`'s sensors under `node` (C `nvme_hwmon_init`). A
    /// controller whose SMART log cannot be read, or a kernel without
    /// hwmon, gets none; the controller works without them.
    pub fn register(ctrl: &Arc<Ctrl>, node: &Device) -> Option<Hwmon> {
        let registered = Self::read_smart(ctrl).and_then(|smart| {
            let sensors = Sensors {
                ctrl: ctrl.clone(),
                facts: SensorFacts {
                    wctemp: ctrl.id.wctemp,
                    cctemp: ctrl.id.cctemp,
                    smart,
                    quirks: ctrl.quirks(),
                },
            };
            let mut channels = [SENSOR; CHANNELS];
            channels[0] = COMPOSITE;
            Registration::register(
                node,
                kernel::c_str!("nvme"),
                &channels,
                Arc::new(sensors, GFP_KERNEL)?,
            )
        });
        match registered {
            Ok(hwmon) => Some(hwmon),
            // A kernel without hwmon: nothing to say.
            Err(err) if err == crate::kernel_ext::error::eopnotsupp() => None,
            Err(err) => {
                dev_warn!(
                    &*ctrl.dev,
                    "nvme{}: no temperature sensors: {:?}\n",
                    ctrl.instance,
                    err
                );
                None
            }
        }
    }

    fn read_smart(ctrl: &Ctrl) -> Result<SmartTemperatures> {
        let mut log = KVec::from_elem(0u8, SMART_LOG_SIZE as usize, GFP_KERNEL)?;
        ctrl.with_admin(|admin| {
            admin.execute_read(Command::get_log_page(SMART_LOG, SMART_LOG_SIZE), &mut log)?;
            Ok(())
        })?;
        SmartTemperatures::parse(&log).ok_or(EIO)
    }

    fn threshold_kind(attr: TempAttribute) -> Option<Threshold> {
        match attr {
            TempAttribute::Max => Some(Threshold::Over),
            TempAttribute::Min => Some(Threshold::Under),
            _ => None,
        }
    }
}

impl TemperatureSensors for Sensors {
    fn mode(&self, attr: TempAttribute, channel: usize) -> u16 {
        visibility(&self.facts, attribute(attr), channel)
    }

    fn read(&self, attr: TempAttribute, channel: usize) -> Result<i64> {
        if let Some(kind) = Self::threshold_kind(attr) {
            let sensor = u8::try_from(channel).map_err(|_| EINVAL)?;
            let cmd = Command::get_features(FeatureId::TemperatureThreshold)
                .with_cdw::<11>(threshold_dword(sensor, kind, 0));
            let cqe = self
                .ctrl
                .with_admin(|admin| admin.execute_read(cmd, &mut []).map_err(Error::from))?;
            return Ok(kelvin_to_millicelsius(threshold_of(cqe.result)));
        }
        match attr {
            TempAttribute::Crit => Ok(kelvin_to_millicelsius(self.facts.cctemp)),
            TempAttribute::Input => {
                let smart = Self::read_smart(&self.ctrl)?;
                smart
                    .kelvin(channel)
                    .map(kelvin_to_millicelsius)
                    .ok_or(EINVAL)
            }
            TempAttribute::Alarm => Ok(i64::from(Self::read_smart(&self.ctrl)?.alarm())),
            _ => Err(crate::kernel_ext::error::eopnotsupp()),
        }
    }

    fn write(&self, attr: TempAttribute, channel: usize, value: i64) -> Result {
        let kind = Self::threshold_kind(attr).ok_or_else(crate::kernel_ext::error::eopnotsupp)?;
        let sensor = u8::try_from(channel).map_err(|_| EINVAL)?;
        let cmd = Command::set_features(
            FeatureId::TemperatureThreshold,
            threshold_dword(sensor, kind, millicelsius_to_kelvin(value)),
        );
        self.ctrl
            .with_admin(|admin| admin.execute_read(cmd, &mut []).map_err(Error::from))?;
        Ok(())
    }

    fn label(&self, channel: usize) -> Option<&'static CStr> {
        let label = LABELS.get(channel)?;
        CStr::from_bytes_with_nul(label.to_bytes_with_nul()).ok()
    }
}
