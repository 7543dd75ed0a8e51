/** How a channel looks wherever it is shown: the contact's touchpoints and the channel rules. */

const channelTones: Record<string, string> = {
  'paid search': 'paid',
  'paid social': 'paid',
  display: 'paid',
  email: 'email',
  'organic search': 'organic',
  'organic social': 'organic',
  referral: 'referral',
  'other campaign': 'campaign',
  direct: 'direct',
};

export function channelLabel(channel: string): string {
  return channel.charAt(0).toUpperCase() + channel.slice(1);
}

/** The documented channels have a colour each; a workspace's own ones share the accent. */
export function ChannelBadge({ channel }: { channel: string }) {
  return <span className={`badge channel channel-${channelTones[channel] ?? 'custom'}`}>{channelLabel(channel)}</span>;
}
