#!/usr/bin/env python3
# Writes the reference gateway flows (flows/gateway-*.json) from one description, so the four files
# share the same connection, asset registry and rules byte for byte. Run after editing:
#   python3 flows/build-reference.py
# The JSON files are what Node-RED imports and what `npm start` deploys; this script only keeps
# them consistent.
import json, os
HERE = os.path.dirname(os.path.abspath(__file__))
demo = json.load(open(os.path.join(HERE, 'demo.json')))
shared_cmms = next(n for n in demo if n['type'] == 'mw-cmms')

CMMS = dict(shared_cmms)
CMMS.update(id='mw-gw-cmms', name='CMMS (CMMS_URL)', baseUrl='${CMMS_URL}')
CMMS['credentials'] = {'apiKey': 'sim-maximo-key'}
REGISTRY = {
    'id': 'mw-gw-assets', 'type': 'mw-asset-registry', 'name': 'plant assets (assets.csv)', 'cmms': 'mw-gw-cmms', 'rows': [],
    'file': 'assets.csv', 'fileFormat': 'csv', 'watch': True, 'requireVerified': False, 'opcuaNamespaces': '', 'autoVerifyHours': 0,
}
# Every 15 s: a completed work order re-arms within seconds in the demo; for a real CMMS 60 s or a webhook (flows/README.md).
WO_POLL_SECONDS = 15
RULES = json.load(open(os.path.join(HERE, 'rules.json')))

def rules_for(*classes):
    return json.dumps({'classes': {c: RULES['classes'][c] for c in classes}}, indent=2)

def tab(tid, label, info):
    return {'id': tid, 'type': 'tab', 'label': label, 'disabled': False, 'info': info}

def at(z, x, y):
    return {'z': z, 'x': x, 'y': y}

def debug(id, z, x, y, name, full=False, status=None):
    n = {'id': id, 'type': 'debug', **at(z, x, y), 'name': name, 'active': True, 'tosidebar': True, 'console': False,
         'tostatus': status is not None, 'complete': 'true' if full else 'payload', 'targetType': 'full' if full else 'msg',
         'statusVal': status or '', 'statusType': 'msg' if status else 'auto', 'wires': []}
    return n

def wo_status(id, z, x, y, target, name):
    """mw-wo-status polling the flow's CMMS connection: the same ${CMMS_URL} and key as the work-order node, no webhook to register."""
    return {'id': id, 'type': 'mw-wo-status', **at(z, x, y), 'name': name, 'cmms': 'mw-gw-cmms', 'mode': 'poll', 'path': '', 'scheme': 'auto',
            'secretHeader': 'x-millwright-secret', 'toleranceSeconds': 300, 'maxBodyKB': 256, 'pollIntervalSeconds': WO_POLL_SECONDS, 'overlapSeconds': 120,
            'lookbackHours': 24, 'scope': 'ours', 'table': 'incident', 'referenceField': '', 'statusMap': [], 'wires': [[target]]}

def chain(p, z, first_id, y, rules_classes, comment_name, comment_info, dx=0):
    """mw-asset-map → mw-threshold → mw-work-order, with debug nodes, the threshold's results loop and mw-wo-status feeding CMMS status changes back."""
    nodes = [
        {'id': f'{p}-map', 'type': 'mw-asset-map', **at(z, 560, y), 'name': 'asset map', 'registry': 'mw-gw-assets', 'source': 'auto', 'connection': '',
         'wires': [[f'{p}-alarms'], [f'{p}-unmapped']]},
        {'id': f'{p}-alarms', 'type': 'mw-threshold', **at(z, 760, y), 'name': 'alarm rules', 'rules': rules_for(*rules_classes), 'rulesFile': '',
         'holdWhileWorkOrderOpen': True, 'maxShelveHours': 8, 'maxClockSkewSeconds': 300, 'maxKeys': 50000, 'healthIntervalSeconds': 0,
         'wires': [[f'{p}-wo', f'{p}-events'], [], [f'{p}-rejected']]},
        {'id': f'{p}-wo', 'type': 'mw-work-order', **at(z, 960, y), 'name': 'work order', 'cmms': 'mw-gw-cmms', 'onCleared': 'note',
         'priorityCritical': '', 'priorityHigh': '', 'priorityMedium': '', 'priorityLow': '', 'workType': 'CM', 'reportedBy': 'MILLWRIGHT',
         'bodyExpression': '', 'shadow': False, 'wires': [[f'{p}-result', f'{p}-alarms'], [f'{p}-failed']]},
        debug(f'{p}-unmapped', z, 760, y + 80, 'unmapped or bad input', full=True),
        debug(f'{p}-events', z, 960, y - 60, 'maintenance events', status='payload.summary'),
        debug(f'{p}-rejected', z, 980, y + 80, 'rejected readings', full=True),
        debug(f'{p}-result', z, 1180, y - 20, 'work orders', status='payload.outcome'),
        debug(f'{p}-failed', z, 1180, y + 40, 'dead letters', full=True, status='reason'),
        wo_status(f'{p}-wostatus', z, 560, y + 160, f'{p}-alarms', 'work-order status → alarm rules'),
        {'id': f'{p}-wostatus-note', 'type': 'comment', **at(z, 600, y + 220), 'name': 'a work order completed in the CMMS re-arms its alarm',
         'info': '**work-order status** (`mw-wo-status`) asks the CMMS every 15 s which work orders changed (polling, through the same connection '
                 'as **work order**) and sends each change into **alarm rules**: a work order completed or closed in the CMMS ends its alarm episode '
                 '(re-armed), so the next excursion makes a new work order. While a work order is open, repeats and escalations go to it. '
                 'The work-order results are also wired back, so the rules know the work order as soon as it is made.\n\n'
                 'With a CMMS that can call the gateway (webhooks), set the node\'s mode to *webhook* and register its URL in the CMMS: '
                 'changes then arrive at once instead of at the next poll. See flows/README.md.', 'wires': []},
    ]
    for n in nodes:
        n['x'] += dx
    return nodes + [{'id': f'{p}-readme', 'type': 'comment', **at(z, 320, 40), 'name': comment_name, 'info': comment_info, 'wires': []}]

ADAPT = ('\n\n**Adapt to your plant**\n'
         '- Hosts, ports and the CMMS address come from environment variables (`${…}` in the config nodes); set them where Node-RED starts '
         '(systemd `Environment=`, Docker `-e`, or `env` in settings.js).\n'
         '- `assets.csv` (beside flows.json) maps each signal to a CMMS asset: one row per register / node id / topic. Edit it; the registry reloads it.\n'
         '- The alarm rules are in the threshold node, one block per asset class (the `class` column of assets.csv).\n'
         '- The CMMS connection: open **CMMS (CMMS_URL)**, pick your CMMS, enter your key and press *Test connection*. '
         'The key shipped here is the simulator\'s public demo key.')

def modbus():
    z = 'mw-gw-modbus'
    return [tab(z, 'Gateway: Modbus pump skid → work orders', 'Reference flow: node-red-contrib-modbus polling a PLC.'),
        {'id': 'mw-gw-modbus-client', 'type': 'modbus-client', 'name': 'PUMP-SKID-PLC', 'clienttype': 'tcp', 'bufferCommands': True, 'stateLogEnabled': False,
         'queueLogEnabled': False, 'failureLogEnabled': True, 'tcpHost': '${MODBUS_HOST}', 'tcpPort': '${MODBUS_PORT}', 'tcpType': 'DEFAULT',
         'serialPort': '/dev/ttyUSB', 'serialType': 'RTU-BUFFERD', 'serialBaudrate': '9600', 'serialDatabits': '8', 'serialStopbits': '1', 'serialParity': 'none',
         'serialConnectionDelay': '100', 'serialAsciiResponseStartDelimiter': '0x3A', 'unit_id': '1', 'commandDelay': '1', 'clientTimeout': '1000',
         'reconnectOnTimeout': True, 'reconnectTimeout': '2000', 'parallelUnitIdsAllowed': True, 'showErrors': False, 'showWarnings': True, 'showLogs': True},
        {'id': 'mw-gw-modbus-read', 'type': 'modbus-read', **at(z, 300, 160), 'name': 'pump skid, holding 0–7', 'topic': '', 'showStatusActivities': False,
         'logIOActivities': False, 'showErrors': True, 'showWarnings': True, 'unitid': '1', 'dataType': 'HoldingRegister', 'adr': '0', 'quantity': '8',
         'rate': '1', 'rateUnit': 's', 'delayOnStart': False, 'startDelayTime': '', 'server': 'mw-gw-modbus-client', 'useIOFile': False, 'ioFile': '',
         'useIOForPayload': False, 'emptyMsgOnFail': False, 'wires': [['mw-gw-modbus-map'], []]},
    ] + chain('mw-gw-modbus', z, 'mw-gw-modbus-read', 160, ['PUMP'], 'Modbus TCP → asset map → alarm rules → work order (read me)',
        'A **modbus-read** node (node-red-contrib-modbus) polls the pump skid PLC every second: holding registers 0–7, four float32 values, high word first '
        '(vibration, bearing temperature, discharge pressure, motor current of **PUMP-101**). `assets.csv` says which register is which signal of which asset '
        '(columns `connection` = the Modbus client\'s name, `unitId`, `address`, `dataType` float32, `wordOrder` ABCD). The alarm rules turn a problem '
        'into one maintenance event; **work order** turns it into exactly one CMMS work order.\n\nWith `npm start`, the plant simulator\'s bearing-wear '
        'scenario runs by itself: vibration passes 7.1 mm/s within about a minute and a work order appears in the CMMS page.' + ADAPT
        + '\n- Modbus: point **PUMP-SKID-PLC** at your PLC (MODBUS_HOST, MODBUS_PORT), set the read node\'s unit id, table and range to your register map, '
          'and write the map into assets.csv. If your PLC sends the low word first, set `wordOrder` to CDAB.')

def opcua():
    z = 'mw-gw-opcua'
    nodes = [tab(z, 'Gateway: OPC UA compressor and motor → work orders', 'Reference flow: node-red-contrib-opcua subscriptions.'),
        {'id': 'mw-gw-opcua-endpoint', 'type': 'OpcUa-Endpoint', 'name': 'plant OPC UA server', 'endpoint': '${OPCUA_URL}', 'secpol': 'None', 'secmode': 'None',
         'none': True, 'login': False, 'usercert': False, 'usercertificate': '', 'userprivatekey': ''},
        {'id': 'mw-gw-opcua-client', 'type': 'OpcUa-Client', **at(z, 400, 200), 'endpoint': 'mw-gw-opcua-endpoint', 'action': 'subscribe', 'deadbandtype': 'a',
         'deadbandvalue': 1, 'time': 1, 'timeUnit': 's', 'certificate': 'n', 'localfile': '', 'localkeyfile': '', 'securitymode': 'None', 'securitypolicy': 'None',
         'useTransport': False, 'maxChunkCount': 1, 'maxMessageSize': 8192, 'receiveBufferSize': 8192, 'sendBufferSize': 8192, 'setstatusandtime': False,
         'keepsessionalive': False, 'name': 'subscribe', 'applicationName': '', 'applicationUri': '', 'wires': [['mw-gw-opcua-values'], [], []]},
        # The client also sends one message with topic "subscriptionId" when it subscribes; only values go on.
        {'id': 'mw-gw-opcua-values', 'type': 'switch', **at(z, 570, 200), 'name': 'values only', 'property': 'topic', 'propertyType': 'msg',
         'rules': [{'t': 'regex', 'v': '^ns=', 'vt': 'str', 'case': False}], 'checkall': 'true', 'repair': False, 'outputs': 1,
         'wires': [['mw-gw-opcua-map']]},
    ]
    topics = ['CMP-401.DischargeTemperature', 'CMP-401.DischargePressure', 'CMP-401.OilTemperature', 'MTR-201.WindingTemperature', 'MTR-201.Current', 'MTR-201.Speed']
    for i, t in enumerate(topics):
        nodes.append({'id': f'mw-gw-opcua-sub{i}', 'type': 'inject', **at(z, 120 if i % 2 == 0 else 130, 100 + i * 40 if False else 120 + i * 30), 'name': t,
                      'props': [{'p': 'topic', 'vt': 'str'}], 'repeat': '', 'crontab': '', 'once': True, 'onceDelay': str(1 + i * 0.1), 'topic': f'ns=1;s={t}',
                      'wires': [['mw-gw-opcua-client']]})
    for i, n in enumerate(n for n in nodes if n.get('type') == 'inject'):
        n['x'] = 170
        n['y'] = 110 + i * 40
    return nodes + chain('mw-gw-opcua', z, 'mw-gw-opcua-client', 200, ['COMPRESSOR', 'MOTOR'], 'OPC UA subscription → asset map → alarm rules → work order (read me)',
        'An **OPC UA Client** (node-red-contrib-opcua, action *subscribe*, 1 s) subscribes to the node ids injected at start: the compressor **CMP-401** and the '
        'motor **MTR-201**. Each change arrives with its status code and source timestamp; the asset map turns a Bad status into quality *bad* (a sensor fault, '
        'not a process alarm) and the alarm rules watch for values that stop changing (stale).\n\nScenarios on the plant simulator page: *cooling fault* '
        '(discharge temperature), *sensor freeze* (winding temperature stops updating), *bad quality* (current transducer fails).' + ADAPT
        + '\n- OPC UA: set OPCUA_URL to your server (opc.tcp://host:4840), security on the endpoint node, and one inject per node id to subscribe to '
          '(or one message with several). Put the same node ids in assets.csv (`kind` opcua). *values only* drops the one message '
          'the client sends with the subscription id.', dx=120)

def mqtt_broker():
    return {'id': 'mw-gw-mqtt-broker', 'type': 'mqtt-broker', 'name': 'plant MQTT broker', 'broker': '${MQTT_HOST}', 'port': '${MQTT_PORT}', 'clientid': '',
            'autoConnect': True, 'usetls': False, 'protocolVersion': '4', 'keepalive': '60', 'cleansession': True, 'autoUnsubscribe': True,
            'birthTopic': '', 'birthQos': '0', 'birthPayload': '', 'birthMsg': {}, 'closeTopic': '', 'closeQos': '0', 'closePayload': '', 'closeMsg': {},
            'willTopic': '', 'willQos': '0', 'willPayload': '', 'willMsg': {}, 'userProps': '', 'sessionExpiry': ''}

def mqtt():
    z = 'mw-gw-mqtt'
    return [tab(z, 'Gateway: MQTT sensors → work orders', 'Reference flow: core mqtt in.'), mqtt_broker(),
        {'id': 'mw-gw-mqtt-in', 'type': 'mqtt in', **at(z, 300, 160), 'name': 'plant/#', 'topic': 'plant/#', 'qos': '0', 'datatype': 'auto-detect',
         'broker': 'mw-gw-mqtt-broker', 'nl': False, 'rap': True, 'rh': 0, 'inputs': 0, 'wires': [['mw-gw-mqtt-map']]},
    ] + chain('mw-gw-mqtt', z, 'mw-gw-mqtt-in', 160, ['CONVEYOR', 'HEATEXCH'], 'MQTT → asset map → alarm rules → work order (read me)',
        'The core **mqtt in** node subscribes to `plant/#`: plain numbers on one topic per signal (conveyor **CONV-301**) and JSON objects with several '
        'fields (heat exchanger **HX-601**). `assets.csv` maps each topic (wildcards allowed, `kind` mqtt) and, for JSON, the `field`.' + ADAPT
        + '\n- MQTT: set MQTT_HOST and MQTT_PORT (TLS and sign-in on the broker node), the subscription topic, and one row per topic in assets.csv.')

def vision():
    z = 'mw-gw-vision'
    drift = next(n for n in demo if n['type'] == 'mw-vision-drift')
    d = {k: v for k, v in drift.items() if k not in ('x', 'y', 'z', 'wires', 'id')}
    d.update(name='SPC on inspections', phase1Units=400, phase1Subgroups=20, trendWindowUnits=500, clearAfterUnits=500, annotate=False)
    return [tab(z, 'Gateway: AI-vision camera → drift → work orders', 'Reference flow: inspection records over MQTT.'), mqtt_broker(),
        {'id': 'mw-gw-vision-in', 'type': 'mqtt in', **at(z, 250, 160), 'name': 'vision/+/+/inspection', 'topic': 'vision/+/+/inspection', 'qos': '0',
         'datatype': 'json', 'broker': 'mw-gw-mqtt-broker', 'nl': False, 'rap': True, 'rh': 0, 'inputs': 0, 'wires': [['mw-gw-vision-map']]},
        {'id': 'mw-gw-vision-map', 'type': 'mw-asset-map', **at(z, 500, 160), 'name': 'camera → asset', 'registry': 'mw-gw-assets', 'source': 'auto', 'connection': '',
         'wires': [['mw-gw-vision-drift'], ['mw-gw-vision-unmapped']]},
        {'id': 'mw-gw-vision-drift', 'type': 'mw-vision-drift', **at(z, 720, 160), **d, 'wires': [['mw-gw-vision-wo', 'mw-gw-vision-events'], [], ['mw-gw-vision-rejected']]},
        {'id': 'mw-gw-vision-wo', 'type': 'mw-work-order', **at(z, 940, 160), 'name': 'work order', 'cmms': 'mw-gw-cmms', 'onCleared': 'note',
         'priorityCritical': '', 'priorityHigh': '', 'priorityMedium': '', 'priorityLow': '', 'workType': 'CM', 'reportedBy': 'MILLWRIGHT',
         'bodyExpression': '', 'shadow': False, 'wires': [['mw-gw-vision-result'], ['mw-gw-vision-failed']]},
        debug('mw-gw-vision-unmapped', z, 720, 240, 'unmapped or bad records', full=True),
        debug('mw-gw-vision-events', z, 940, 100, 'drift events', status='payload.summary'),
        debug('mw-gw-vision-rejected', z, 960, 240, 'rejected records', full=True),
        debug('mw-gw-vision-result', z, 1160, 140, 'work orders', status='payload.outcome'),
        debug('mw-gw-vision-failed', z, 1160, 200, 'dead letters', full=True, status='reason'),
        wo_status('mw-gw-vision-wostatus', z, 500, 320, 'mw-gw-vision-drift', 'work-order status → SPC'),
        {'id': 'mw-gw-vision-wostatus-note', 'type': 'comment', **at(z, 540, 380), 'name': 'a work order completed in the CMMS starts a new baseline',
         'info': '**work-order status** (`mw-wo-status`) asks the CMMS every 15 s which work orders changed and sends each change into '
                 '**SPC on inspections**: when the drift work order is completed (new tool, cleaned coater), the chart learns a new baseline '
                 'from the parts that follow. Webhook instead of polling: see flows/README.md.', 'wires': []},
        {'id': 'mw-gw-vision-readme', 'type': 'comment', **at(z, 320, 40), 'name': 'AI-vision camera → asset map → SPC drift → work order (read me)',
         'info': 'The camera **CAM-901** at press **PRS-701** publishes one inspection record per part (measurements: hole diameter `bore`, coating at 5 points; '
                 'defects by type). The asset map puts each record on the press (assets.csv row `CAM-901`), **SPC on inspections** learns a baseline from the '
                 'first 400 parts and raises a drift event before parts go out of spec; **work order** makes one work order per drift episode.\n\n'
                 'Scenarios on the plant simulator page: *tool wear* (the hole grows toward 12.02 mm) and *coating drift*.' + ADAPT
                 + '\n- Vision: set the topic your camera publishes to, map its id in assets.csv, and the spec limits per product in the SPC node.',
         'wires': []},
    ]

def write(name, nodes):
    for n in (CMMS, REGISTRY):
        nodes.append(dict(n))
    with open(os.path.join(HERE, name), 'w') as f:
        f.write(json.dumps(nodes, indent=2, ensure_ascii=False) + '\n')

write('gateway-modbus.json', modbus())
write('gateway-opcua.json', opcua())
write('gateway-mqtt.json', mqtt())
write('gateway-vision.json', vision())
