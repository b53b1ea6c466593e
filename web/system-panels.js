// NSQ's and Kafka's panels in a playground: for NSQ the nsqadmin tables,
// the delivery guarantees, the NSQ controls and charts; for Kafka the
// consumer groups, topics and guarantees, the Kafka controls and charts.
// This module and theirs are fetched with the first snapshot that needs
// them (web/lab.js): a Go-only embed, or a compact one, never loads them.

/**
 * The panels of `kind` ('nsq' or 'kafka') in the playground whose elements
 * `$` finds by id; `onCommand(cmd, errorEl)` sends a control's command.
 */
export async function makeSystemPanels(kind, $, onCommand) {
  if (kind === 'nsq') {
    const [admin, guar, ctl, ch] = await Promise.all([import('./nsqadmin.js'), import('./guarantees.js'), import('./nsq-controls.js'), import('./nsq-charts.js')]);
    return {
      admin: admin.createNsqAdmin($('nsqadmin'), { onCommand }),
      guarantees: guar.createGuarantees($('guarantees')),
      controls: ctl.createNsqControls($('nsq-controls'), { onCommand }),
      charts: ch.createNsqCharts($('nsq-charts')),
    };
  }
  const [ch, pan, ctl] = await Promise.all([import('./kafka-charts.js'), import('./kafka-panels.js'), import('./kafka-controls.js')]);
  return {
    charts: ch.createKafkaCharts($('kafka-charts')),
    panels: pan.createKafkaPanels({ groups: $('kafka-groups'), topics: $('kafka-topics'), guarantees: $('kafka-guarantees') }),
    controls: ctl.createKafkaControls($('kafka-controls'), { onCommand }),
  };
}
