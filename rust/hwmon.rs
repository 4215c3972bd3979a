// SPDX-License-Identifier: GPL-2.0

//! Hardware monitoring devices with temperature channels: a `hwmonN`
//! device whose `tempN_*` attributes the driver's [`TemperatureSensors`]
//! read and write.
//!
//! C header: [`include/linux/hwmon.h`](srctree/include/linux/hwmon.h)

use super::{bindings, device};
use core::marker::PhantomPinned;
use core::pin::Pin;
use core::ptr::NonNull;
use kernel::ffi::{c_char, c_int, c_long, c_void};
use kernel::prelude::*;
use kernel::str::CStr;
use kernel::sync::Arc;

/// Most temperature channels a device has.
pub const MAX_CHANNELS: usize = 16;

/// A temperature channel's attribute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TempAttribute {
    /// `tempN_input`: the temperature.
    Input,
    /// `tempN_max`: the upper threshold.
    Max,
    /// `tempN_min`: the lower threshold.
    Min,
    /// `tempN_crit`: the critical temperature.
    Crit,
    /// `tempN_alarm`: a threshold was crossed.
    Alarm,
    /// `tempN_label`: the channel's name.
    Label,
}

impl TempAttribute {
    /// Every attribute, for channel configurations.
    pub const ALL: [TempAttribute; 6] = [
        TempAttribute::Input,
        TempAttribute::Max,
        TempAttribute::Min,
        TempAttribute::Crit,
        TempAttribute::Alarm,
        TempAttribute::Label,
    ];

    fn number(self) -> u32 {
        match self {
            TempAttribute::Input => bindings::NVME_RS_HWMON_TEMP_INPUT,
            TempAttribute::Max => bindings::NVME_RS_HWMON_TEMP_MAX,
            TempAttribute::Min => bindings::NVME_RS_HWMON_TEMP_MIN,
            TempAttribute::Crit => bindings::NVME_RS_HWMON_TEMP_CRIT,
            TempAttribute::Alarm => bindings::NVME_RS_HWMON_TEMP_ALARM,
            TempAttribute::Label => bindings::NVME_RS_HWMON_TEMP_LABEL,
        }
    }

    fn from_number(attr: u32) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.number() == attr)
    }

    /// The channel configuration bit (C `HWMON_T_*`).
    fn bit(self) -> u32 {
        1 << self.number()
    }
}

/// Temperatures a driver reports. Millidegrees Celsius, as hwmon's.
pub trait TemperatureSensors: Send + Sync + 'static {
    /// The file mode of `attr` of `channel`: 0 for none, else read-only
    /// or read-write. Asked once, at registration.
    fn mode(&self, attr: TempAttribute, channel: usize) -> u16;

    /// Reads `attr` of `channel`. May sleep.
    fn read(&self, attr: TempAttribute, channel: usize) -> Result<i64>;

    /// Writes `attr` of `channel`. May sleep.
    fn write(&self, attr: TempAttribute, channel: usize, value: i64) -> Result;

    /// The name of `channel`, for `tempN_label`.
    fn label(&self, channel: usize) -> Option<&'static CStr>;
}

/// The tables hwmon reads for as long as the device is registered: they
/// point into themselves, so they stay pinned.
struct Tables {
    chip_config: [u32; 2],
    temp_config: [u32; MAX_CHANNELS + 1],
    channels: [bindings::hwmon_channel_info; 2],
    channel_list: [*const bindings::hwmon_channel_info; 3],
    ops: bindings::hwmon_ops,
    chip: bindings::hwmon_chip_info,
    _pin: PhantomPinned,
}

/// A registered hwmon device, unregistered when dropped.
///
/// # Invariants
///
/// `hwmon` is the device `hwmon_device_register_with_info` returned, with
/// `_data`'s `T` as its driver data and `tables` as its chip information;
/// both live until it is unregistered in `Drop`.
pub struct Registration<T: TemperatureSensors> {
    hwmon: NonNull<bindings::device>,
    _data: Arc<T>,
    _tables: Pin<KBox<Tables>>,
}

// SAFETY: the registration is only unregistered, from any thread, in `Drop`.
unsafe impl<T: TemperatureSensors> Send for Registration<T> {}
// SAFETY: `&self` gives only `data`, which is `Sync`.
unsafe impl<T: TemperatureSensors> Sync for Registration<T> {}

impl<T: TemperatureSensors> Registration<T> {
    /// Registers a hwmon device named `name` under `parent`, with a
    /// temperature channel for each entry of `channels` holding those
    /// attributes, whose values `data` reads and writes. `EOPNOTSUPP` on a
    /// kernel without hwmon.
    pub fn register(
        parent: &device::Device,
        name: &'static CStr,
        channels: &[&[TempAttribute]],
        data: Arc<T>,
    ) -> Result<Self> {
        if channels.len() > MAX_CHANNELS {
            return Err(EINVAL);
        }
        let mut temp_config = [0u32; MAX_CHANNELS + 1];
        for (config, attrs) in temp_config.iter_mut().zip(channels) {
            *config = attrs.iter().fold(0, |bits, a| bits | a.bit());
        }
        let mut tables = KBox::pin(
            Tables {
                chip_config: [bindings::NVME_RS_HWMON_C_REGISTER_TZ, 0],
                temp_config,
                channels: Default::default(),
                channel_list: [core::ptr::null(); 3],
                ops: bindings::hwmon_ops {
                    is_visible: Some(is_visible::<T>),
                    read: Some(read::<T>),
                    read_string: Some(read_string::<T>),
                    write: Some(write::<T>),
                },
                chip: Default::default(),
                _pin: PhantomPinned,
            },
            GFP_KERNEL,
        )?;
        // SAFETY: the tables are filled in place and not moved out of.
        let t = unsafe { tables.as_mut().get_unchecked_mut() };
        t.channels = [
            bindings::hwmon_channel_info {
                type_: bindings::NVME_RS_HWMON_CHIP,
                config: t.chip_config.as_ptr(),
            },
            bindings::hwmon_channel_info {
                type_: bindings::NVME_RS_HWMON_TEMP,
                config: t.temp_config.as_ptr(),
            },
        ];
        t.channel_list = [&t.channels[0], &t.channels[1], core::ptr::null()];
        t.chip = bindings::hwmon_chip_info {
            ops: &t.ops,
            info: t.channel_list.as_ptr(),
        };
        // SAFETY: `parent` is a live device; `name` is a static C string
        // (hwmon keeps the pointer); the chip information is pinned in
        // `tables` and the driver data in `data`, both kept until `Drop`
        // unregisters the device.
        let hwmon = unsafe {
            bindings::nvme_rs_hwmon_register(
                parent.as_raw(),
                name.as_char_ptr(),
                (&*data as *const T).cast_mut().cast(),
                &t.chip,
            )
        };
        let hwmon = kernel::error::from_err_ptr(hwmon)?;
        // INVARIANT: registered just above with `data` and `tables`.
        Ok(Registration {
            // SAFETY: `from_err_ptr` returned a valid, non-null pointer.
            hwmon: unsafe { NonNull::new_unchecked(hwmon) },
            _data: data,
            _tables: tables,
        })
    }
}

impl<T: TemperatureSensors> Drop for Registration<T> {
    fn drop(&mut self) {
        // SAFETY: registered (type invariant); unregistering removes the
        // attributes and waits for their callbacks, after which neither the
        // tables nor the data are used.
        unsafe { bindings::nvme_rs_hwmon_unregister(self.hwmon.as_ptr()) };
    }
}

/// The sensors of the hwmon device `dev`.
///
/// # Safety
///
/// `dev` is a device registered by [`Registration::register`] with driver
/// data of type `T`, during one of its callbacks.
unsafe fn sensors<'a, T>(dev: *mut bindings::device) -> &'a T {
    // SAFETY: the driver data is the `T` the registration keeps alive for
    // as long as callbacks can run, as the caller promises.
    unsafe { &*(*dev).driver_data.cast::<T>() }
}

/// Decodes a callback's channel and attribute: `None` for another sensor
/// type, an attribute not listed here or a negative channel.
fn decode(
    kind: bindings::hwmon_sensor_types,
    attr: u32,
    channel: c_int,
) -> Option<(TempAttribute, usize)> {
    if kind != bindings::NVME_RS_HWMON_TEMP {
        return None;
    }
    Some((
        TempAttribute::from_number(attr)?,
        usize::try_from(channel).ok()?,
    ))
}

unsafe extern "C" fn is_visible<T: TemperatureSensors>(
    drvdata: *const c_void,
    kind: bindings::hwmon_sensor_types,
    attr: u32,
    channel: c_int,
) -> bindings::umode_t {
    let Some((attr, channel)) = decode(kind, attr, channel) else {
        return 0;
    };
    // SAFETY: `drvdata` is the `T` the registration passed and keeps.
    let sensors = unsafe { &*drvdata.cast::<T>() };
    sensors.mode(attr, channel)
}

unsafe extern "C" fn read<T: TemperatureSensors>(
    dev: *mut bindings::device,
    kind: bindings::hwmon_sensor_types,
    attr: u32,
    channel: c_int,
    val: *mut c_long,
) -> c_int {
    let Some((attr, channel)) = decode(kind, attr, channel) else {
        return super::error::eopnotsupp().to_errno();
    };
    // SAFETY: called by hwmon for the device `register` made.
    let sensors = unsafe { sensors::<T>(dev) };
    match sensors.read(attr, channel) {
        Ok(value) => {
            // SAFETY: hwmon passes a valid place for the value.
            unsafe { *val = value as c_long };
            0
        }
        Err(err) => err.to_errno(),
    }
}

unsafe extern "C" fn read_string<T: TemperatureSensors>(
    dev: *mut bindings::device,
    kind: bindings::hwmon_sensor_types,
    attr: u32,
    channel: c_int,
    out: *mut *const c_char,
) -> c_int {
    let Some((TempAttribute::Label, channel)) = decode(kind, attr, channel) else {
        return super::error::eopnotsupp().to_errno();
    };
    // SAFETY: called by hwmon for the device `register` made.
    let sensors = unsafe { sensors::<T>(dev) };
    match sensors.label(channel) {
        Some(label) => {
            // SAFETY: hwmon passes a valid place for the pointer; the
            // label is static.
            unsafe { *out = label.as_char_ptr() };
            0
        }
        None => super::error::eopnotsupp().to_errno(),
    }
}

unsafe extern "C" fn write<T: TemperatureSensors>(
    dev: *mut bindings::device,
    kind: bindings::hwmon_sensor_types,
    attr: u32,
    channel: c_int,
    val: c_long,
) -> c_int {
    let Some((attr, channel)) = decode(kind, attr, channel) else {
        return super::error::eopnotsupp().to_errno();
    };
    // SAFETY: called by hwmon for the device `register` made.
    let sensors = unsafe { sensors::<T>(dev) };
    match sensors.write(attr, channel, val as i64) {
        Ok(()) => 0,
        Err(err) => err.to_errno(),
    }
}
