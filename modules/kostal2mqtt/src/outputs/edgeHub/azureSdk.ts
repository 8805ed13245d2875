/**
 * The unmodified Azure IoT device SDK. azure-iot-device is CommonJS whose named exports Node cannot detect, hence
 * the default import. Loaded only when the module runs under IoT Edge (it costs about 23 MiB of memory).
 */
import azureIotDevice from "azure-iot-device";
import type { Message as MessageType, ModuleClient as ModuleClientType, Twin } from "azure-iot-device";
import { Mqtt } from "azure-iot-device-mqtt";

export const { ModuleClient, Message } = azureIotDevice;
export type ModuleClient = ModuleClientType;
export type Message = MessageType;
export type { Twin };
export { Mqtt };
